// The models the documentation's examples use: Event as docs/models.md declares it, and the Task
// and Note models that docs/autogenerate.md and docs/packaging.md name ("models.hpp" there).
#pragma once

#include <retort/repository.hpp>

#include <optional>
#include <string>

struct Event {
  retort::Uuid id{};
  retort::JsonText data{};
  std::optional<retort::JsonText> task_context{};
  retort::Timestamp created_at{};
  retort::Timestamp updated_at{};
};

template <>
struct retort::ModelTraits<Event> {
  static void describe(retort::ModelBuilder<Event>& m) {
    namespace types = retort::schema::types;
    m.table("events");
    m.column("id", &Event::id, types::uuid()).primary_key();
    m.column("data", &Event::data, types::jsonb());
    m.column("task_context", &Event::task_context, types::jsonb());
    m.column("created_at", &Event::created_at, types::timestamptz());
    m.column("updated_at", &Event::updated_at, types::timestamptz());
  }
};

struct Task {
  std::int64_t id{};
  std::string title{};
};

template <>
struct retort::ModelTraits<Task> {
  static void describe(retort::ModelBuilder<Task>& m) {
    namespace types = retort::schema::types;
    m.table("tasks");
    m.column("id", &Task::id, types::bigint()).primary_key();
    m.column("title", &Task::title, types::text());
  }
};

struct Note {
  retort::Uuid id{};
  std::string body{};
};

template <>
struct retort::ModelTraits<Note> {
  static void describe(retort::ModelBuilder<Note>& m) {
    namespace types = retort::schema::types;
    m.table("notes");
    m.column("id", &Note::id, types::uuid()).primary_key();
    m.column("body", &Note::body, types::text());
  }
};
