// retort as an installed package, used the way a project uses it: `cmake --install` into a
// temporary prefix, examples/app configured and built against it with find_package(retort) and
// retort_add_migrate_executable, then the seed's "extending the database" flow end to end on
// SQLite and PostgreSQL (init, migrate.sh, add CustomModel, makemigration.sh add_custom_model,
// review, migrate.sh, check). Also a program compiled with `pkg-config --cflags --libs retort`.
//
// One test: installing and building take minutes, so they are done once (-j2, -O0).
#include <gtest/gtest.h>

#include <stdlib.h>
#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include <fmt/format.h>

#include "support/test_db.hpp"

namespace retort::testing {
namespace {

namespace fs = std::filesystem;

struct ShellRun {
  int status = -1;
  std::string output;  // stdout and stderr
};

std::string quoted(const std::string& s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out.push_back(c);
    }
  }
  return out + "'";
}

// Runs a shell command in `dir`, stderr folded into the output.
ShellRun sh(const fs::path& dir, const std::string& command) {
  const std::string full = fmt::format("cd {} && ( {} ) 2>&1", quoted(dir.string()), command);
  ShellRun r;
  FILE* pipe = ::popen(full.c_str(), "r");
  if (pipe == nullptr) return r;
  std::array<char, 4096> buffer{};
  while (std::size_t n = std::fread(buffer.data(), 1, buffer.size(), pipe))
    r.output.append(buffer.data(), n);
  const int status = ::pclose(pipe);
  r.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

// Runs and requires success, showing the command and its output otherwise.
std::string ok(const fs::path& dir, const std::string& command) {
  const ShellRun r = sh(dir, command);
  EXPECT_EQ(r.status, 0) << "$ " << command << "\n" << r.output;
  if (r.status != 0) throw std::runtime_error("command failed: " + command);
  return r.output;
}

std::string read(const fs::path& file) {
  std::ifstream in(file);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// The one revision file of `versions` whose name ends in `suffix`.
fs::path revision_named(const fs::path& versions, const std::string& suffix) {
  for (const fs::directory_entry& e : fs::directory_iterator(versions)) {
    const std::string name = e.path().filename().string();
    if (name.size() >= suffix.size() && name.ends_with(suffix)) return e.path();
  }
  return {};
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

TEST(InstalledPackage, ExampleAppRunsTheSeedsExtendingTheDatabaseFlow) {
  // The commands choose their database from the environment: nothing of the caller's counts.
  for (const char* name : {"RETORT_DATABASE_URL", "DATABASE_URL", "DB_USER", "DB_PASSWORD",
                           "DB_HOST", "DB_PORT", "DB_NAME", "DB_SSLMODE", "RETORT_CONFIG"}) {
    ::unsetenv(name);
  }
  TempDir tmp;
  const fs::path prefix = tmp / "prefix";
  const fs::path app = tmp / "app";

  // Install, and check the layout a project relies on.
  ok(tmp.path(), fmt::format("cmake --install {} --prefix {}", quoted(RETORT_BINARY_DIR),
                             quoted(prefix.string())));
  for (const char* file :
       {"bin/retort", "include/retort/operations.hpp", "include/retort/cli.hpp",
        "share/retort/migrations/versions", "share/retort/templates/events/versions",
        "share/retort/templates/generic/script.sql.tmpl", "share/retort/examples/events.jsonl"}) {
    EXPECT_TRUE(fs::exists(prefix / file)) << file;
  }

  // `retort demo` from the installed binary, in an empty directory: its sample events come from
  // share/retort/examples.
  const fs::path demo = tmp / "demo";
  fs::create_directories(demo);
  const std::string shown = ok(demo, quoted((prefix / "bin/retort").string()) + " demo");
  EXPECT_TRUE(contains(shown, "50 events accepted")) << shown;
  EXPECT_FALSE(ok(prefix,
                  "ls lib*/cmake/retort/retortConfig.cmake lib*/pkgconfig/retort.pc "
                  "lib*/libretort.a lib*/libretort_command.a")
                   .empty());
  EXPECT_TRUE(contains(ok(prefix, "bin/retort heads"), "e93712f478ad (head)"));

  // The example application, built against the installed package.
  fs::copy(fs::path(RETORT_SOURCE_DIR) / "examples" / "app", app, fs::copy_options::recursive);
  const std::string configure = fmt::format(
      "cmake -S . -B build -DCMAKE_PREFIX_PATH={} -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS=-O0",
      quoted(prefix.string()));
  ok(app, configure);
  ok(app, "cmake --build build -j2");

  // A new project's migration environment, starting from retort's events revisions; the C++
  // revision of revisions/ sits on top of them.
  ok(app, "./build/app_migrate init -t events migrations");
  EXPECT_TRUE(contains(ok(app, "./build/app_migrate heads"), "9b1e4c7d2a30 (head)"));
  EXPECT_TRUE(contains(ok(app, "./build/app_migrate history"),
                       "e93712f478ad -> 9b1e4c7d2a30 (head), import demo events"));

  auto flow = [&](const std::string& env, const std::string& label) {
    SCOPED_TRACE(label);
    // migrate.sh: to head; the application works on the schema; check is clean.
    const std::string first = ok(app, env + " ./migrate.sh");
    EXPECT_TRUE(contains(first,
                         "Running upgrade e93712f478ad -> 9b1e4c7d2a30, import demo "
                         "events"))
        << first;
    EXPECT_TRUE(contains(ok(app, env + " ./build/app"), "1 events stored"));
    EXPECT_EQ(sh(app, env + " ./build/app_migrate check").status, 0);
  };
  flow("", "SQLite (./retort.db)");
  PgSchema schema;
  const std::string pg_env = "RETORT_DATABASE_URL=" + quoted(schema.url_text());
  flow(pg_env, "PostgreSQL");

  // 1. Add the CustomModel (the patch is the edit a developer makes), rebuild.
  ok(app, "patch -p1 < add_custom_model.patch");
  ok(app, "cmake --build build -j2");
  const ShellRun pending = sh(app, "./build/app_migrate check");
  EXPECT_EQ(pending.status, 5) << pending.output;  // differences found
  EXPECT_TRUE(contains(pending.output, "create table custom_models")) << pending.output;

  // 2. makemigration.sh add_custom_model: an autogenerated revision that creates the table.
  const std::string made = ok(app, "./makemigration.sh add_custom_model");
  const fs::path revision =
      revision_named(app / "migrations" / "versions", "_add_custom_model.sql");
  ASSERT_FALSE(revision.empty()) << made;

  // 3. Review it: on top of the C++ revision, creating custom_models on both dialects.
  const std::string text = read(revision);
  EXPECT_TRUE(contains(text, "-- Down revision: 9b1e4c7d2a30")) << text;
  EXPECT_TRUE(contains(text, "-- Message: add_custom_model")) << text;
  EXPECT_TRUE(contains(text, "--   create table custom_models")) << text;
  for (const char* section : {"-- +upgrade postgresql", "-- +upgrade sqlite"}) {
    const std::size_t at = text.find(section);
    ASSERT_NE(at, std::string::npos) << section << "\n" << text;
    EXPECT_NE(text.find("CREATE TABLE \"custom_models\"", at), std::string::npos) << text;
  }
  EXPECT_TRUE(contains(text, "DROP TABLE \"custom_models\";")) << text;

  // 4. migrate.sh applies it; check is clean; on PostgreSQL too.
  for (const std::string& env : {std::string(), pg_env}) {
    SCOPED_TRACE(env.empty() ? "SQLite" : "PostgreSQL");
    const std::string applied = ok(app, env + " ./migrate.sh");
    EXPECT_TRUE(contains(applied, "Running upgrade 9b1e4c7d2a30 -> ")) << applied;
    const ShellRun clean = sh(app, env + " ./build/app_migrate check");
    EXPECT_EQ(clean.status, 0) << clean.output;
    EXPECT_TRUE(contains(clean.output, "No new upgrade operations detected.")) << clean.output;
    EXPECT_EQ(sh(app, env + " ./build/app_migrate verify").status, 0);
  }
  // The same revisions render offline up to the C++ revision, which reads the database.
  const ShellRun offline = sh(app, "./build/app_migrate upgrade head --sql");
  EXPECT_EQ(offline.status, 1);
  EXPECT_TRUE(contains(offline.output, "revision 9b1e4c7d2a30 reads the database"))
      << offline.output;

  // A program built with pkg-config alone.
  std::ofstream(tmp / "consumer.cpp") << R"(#include <iostream>
#include <retort/database.hpp>
int main() {
  retort::Database db = retort::Database::open("sqlite://:memory:");
  std::cout << db.connection()->execute("SELECT 40 + 2").at(0)[0].as_int64() << '\n';
})";
  const fs::path pc_dir = fs::exists(prefix / "lib" / "pkgconfig")
                              ? prefix / "lib" / "pkgconfig"
                              : *fs::directory_iterator(prefix / "lib");
  const std::string compile = fmt::format(
      "c++ -std=c++20 -O0 consumer.cpp -o consumer $(PKG_CONFIG_PATH={} pkg-config --cflags --libs "
      "retort)",
      quoted(pc_dir.string()));
  ok(tmp.path(), compile);
  EXPECT_EQ(ok(tmp.path(), "./consumer"), "42\n");
}

}  // namespace
}  // namespace retort::testing
