// The application: records one event and lists what is stored. The schema comes from the
// migrations (./migrate.sh), never from the application.
#include <iostream>

#include <retort/database.hpp>
#include <retort/settings.hpp>

#include "models.hpp"

int main() {
  retort::Database db(retort::resolve_database_url().url);
  db.transaction([](retort::Session& s) {
    retort::events::EventRepository events(s);
    events.record(R"({"type": "app.started"})");
    std::cout << events.find({.limit = 100}).size() << " events stored\n";
  });
}
