// example_context.hpp plus the models of docs/models.md (Event) and the Task and Note models,
// for the fragments that use them.
#pragma once

#include <vector>

#include "example_context.hpp"
#include "models.hpp"

extern retort::Repository<Event> events;  // a repository of the page's Event model
extern std::vector<Event> batch;
