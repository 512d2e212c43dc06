// `retort events partitions|retain`: partitions of a partitioned events table, and retention on
// every table (docs/partitioning.md). Registered under `events` by add_events_command.
#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>

#include "cli/context.hpp"
#include "cli/exit_code.hpp"
#include "cli/structured_output.hpp"
#include "config/duration.hpp"
#include "retort/partitioning.hpp"

namespace retort::cli {
namespace {

using nlohmann::json;

json optional_time(const std::optional<Timestamp>& t) {
  return t ? json(t->to_string()) : json();
}

json partition_json(const events::PartitionInfo& p) {
  return {{"name", p.name},
          {"from", optional_time(p.from)},
          {"to", optional_time(p.to)},
          {"approx_rows", p.approx_rows}};
}

struct PartitionsCliOptions {
  std::string ahead = "7d";
  bool list_only = false;
  OutputFormat format = OutputFormat::text;
};

int run_partitions(Context& context, const PartitionsCliOptions& o) {
  const auto ahead = config::require_duration(o.ahead, config::BareNumber::seconds, "--ahead");
  Database db = context.open_database();
  events::PartitionsReport report;
  if (o.list_only) {
    report.manager = db.transaction([](Session& s) { return events::partition_manager(s); });
  } else {
    report = events::create_partitions(db, ahead);
  }
  const std::vector<events::PartitionInfo> parts =
      db.transaction([](Session& s) { return events::list_partitions(s); });
  if (o.format != OutputFormat::text) {
    json items = json::array();
    for (const auto& p : parts) items.push_back(partition_json(p));
    print_items(
        std::cout, o.format, "partitions", items,
        {{"manager", std::string(events::to_string(report.manager))}, {"created", report.created}});
    return kSuccess;
  }
  for (const std::string& name : report.created) std::cout << "created " << name << '\n';
  std::cout << fmt::format("{} partitions, managed by {}\n", parts.size(),
                           events::to_string(report.manager));
  for (const auto& p : parts) {
    std::cout << fmt::format("{:<24} {:<28} {:<28} ~{} rows\n", p.name,
                             p.from ? p.from->to_string() : "DEFAULT",
                             p.to ? p.to->to_string() : "", p.approx_rows);
  }
  return kSuccess;
}

void add_partitions(CLI::App& group, Context& context, Command& run) {
  auto o = std::make_shared<PartitionsCliOptions>();
  CLI::App* cmd = group.add_subcommand(
      "partitions",
      "Partitioned events table: create the daily partitions up to --ahead from now (or run "
      "pg_partman's maintenance when it manages the table), then list them");
  cmd->add_option("--ahead", o->ahead, "How far ahead partitions must exist (default 7d)");
  cmd->add_flag("--list", o->list_only, "Only list the partitions; create none");
  add_format_option(*cmd, o->format);
  cmd->callback(
      [&context, &run, o] { run = [&context, o] { return run_partitions(context, *o); }; });
}

struct RetainCliOptions {
  std::string age;
  bool include_unfinished = false;
  std::size_t batch_size = 5000;
  OutputFormat format = OutputFormat::text;
};

void print_retain_text(const events::RetainReport& r) {
  for (const std::string& name : r.dropped) std::cout << "dropped " << name << '\n';
  for (const std::string& name : r.kept_partitions) {
    std::cout << fmt::format(
        "kept {}: it holds unfinished events (--include-unfinished drops it too)\n", name);
  }
  if (r.method == "drop_partitions") {
    std::cout << fmt::format("{} partition{} dropped (about {} events) older than {}\n",
                             r.dropped.size(), r.dropped.size() == 1 ? "" : "s", r.rows,
                             r.cutoff.to_string());
    return;
  }
  std::cout << fmt::format(
      "{} event{} deleted older than {} (batched DELETE: the table is not "
      "partitioned)\n",
      r.rows, r.rows == 1 ? "" : "s", r.cutoff.to_string());
  if (r.kept_unfinished > 0) {
    std::cout << fmt::format("kept {} unfinished event{} (--include-unfinished deletes them too)\n",
                             r.kept_unfinished, r.kept_unfinished == 1 ? "" : "s");
  }
}

int run_retain(Context& context, const RetainCliOptions& o) {
  const auto age = config::require_duration(o.age, config::BareNumber::seconds, "AGE");
  Database db = context.open_database();
  const events::RetainReport r = events::retain(
      db,
      {.older_than = age, .include_unfinished = o.include_unfinished, .batch_size = o.batch_size});
  if (o.format != OutputFormat::text) {
    print_items(std::cout, o.format, "dropped", r.dropped,
                {{"method", r.method},
                 {"cutoff", r.cutoff.to_string()},
                 {"rows", r.rows},
                 {"kept_partitions", r.kept_partitions},
                 {"kept_unfinished", r.kept_unfinished}});
  } else {
    print_retain_text(r);
  }
  return r.partial() ? kPartial : kSuccess;
}

void add_retain(CLI::App& group, Context& context, Command& run) {
  auto o = std::make_shared<RetainCliOptions>();
  CLI::App* cmd = group.add_subcommand(
      "retain",
      "Remove events older than AGE (e.g. 30d): whole partitions on a partitioned table (DETACH "
      "and DROP, no DELETE), batched DELETEs elsewhere; unfinished events are kept");
  cmd->add_option("AGE", o->age, "Events created more than this long ago go (e.g. 30d, 12h)")
      ->required();
  cmd->add_flag("--include-unfinished", o->include_unfinished,
                "Also remove pending, failed and running events");
  cmd->add_option("--batch-size", o->batch_size,
                  "Rows per transaction on the batched-DELETE path (default 5000)")
      ->check(CLI::Range(std::size_t{1}, std::size_t{1000000}));
  add_format_option(*cmd, o->format);
  cmd->callback([&context, &run, o] { run = [&context, o] { return run_retain(context, *o); }; });
}

}  // namespace

void add_partition_commands(CLI::App& events_group, Context& context, Command& run) {
  add_partitions(events_group, context, run);
  add_retain(events_group, context, run);
}

}  // namespace retort::cli
