// `retort events work --exec CMD`: a handler in any language, as a child process.
//
// Streaming (default): each slot starts `sh -c CMD` once and writes one JSON line per event on
// its stdin; the handler answers with one JSON line on stdout: an object, the task_context merge
// patch, or {"error": "..."} to fail the attempt. A handler that exits, is killed, writes a line
// that is not a JSON object, or takes longer than the timeout fails its event (with the tail of
// its stderr) and is started again for the next event.
// Per event (--per-event): `sh -c CMD` runs once per event, the event on stdin; its whole stdout
// is the result; an exit status other than 0 fails the attempt.
// A handler process that was just started gets start_allowance on top of the timeout for its
// first event: its start-up (an interpreter, its imports) is not the event's handling, and a
// loaded machine must not turn a slow start into failed attempts. Per event, every process is
// new, so every event gets it.
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "retort/worker.hpp"

namespace retort::cli {

struct ExecOptions {
  std::string command;
  bool per_event = false;
  std::chrono::milliseconds timeout{std::chrono::seconds(30)};          // per event
  std::chrono::milliseconds start_allowance{std::chrono::seconds(10)};  // a new process's first
  std::chrono::milliseconds grace{std::chrono::seconds(10)};            // after a stop request
};

// The JSON line sent for an event: id, workflow, attempt, data, task_context.
std::string event_line(const events::ClaimedEvent& event);

// A Handler that runs ExecOptions::command; one child per calling thread (slot). Failures
// throw std::runtime_error with what went wrong and the stderr tail.
events::Handler make_exec_handler(const ExecOptions& options);

}  // namespace retort::cli
