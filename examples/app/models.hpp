// The application's models (the seed's models.py). Event is retort's event-store model (table
// `events`, created by the revisions of `init -t events`).
#pragma once

#include <retort/events.hpp>
#include <retort/repository.hpp>

namespace app {

using Event = retort::events::Event;

}  // namespace app
