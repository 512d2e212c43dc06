// How the command-line tool prints results: aligned tables for people, JSON Lines for programs.
#pragma once

#include <nlohmann/json.hpp>

#include <iosfwd>

#include "retort/connection.hpp"

namespace retort::cli {

// Prints rows as an aligned table; cells longer than max_cell are cut with "...".
void print_table(std::ostream& out, const Result& result, std::size_t max_cell = 60);

// Prints one JSON object per row ({"column": value, ...}); JSON cells are embedded as JSON.
void print_json_lines(std::ostream& out, const Result& result);
// The rows as an array of objects (column name -> value), as print_json_lines prints them.
nlohmann::json rows_json(const Result& result);

}  // namespace retort::cli
