// Validators for command-line values that end up printed, written into generated SQL or
// revision files, or echoed in messages: a control character there could end a comment line,
// forge a header, or drive the terminal.
#pragma once

#include <CLI/CLI.hpp>

#include <string_view>

namespace retort::cli {

// Refuses a value holding a NUL byte, a control character (C0, DEL, C1) or invalid UTF-8, with a
// message naming the byte position (never the value). Characters listed in allowed (e.g. "\n"
// for a revision message, which is folded onto one line) pass.
CLI::Validator printable(std::string_view allowed = "");

}  // namespace retort::cli
