/* The raw SQLite floor on retort's own events table (issue 13's "the SQLite floor run on the same
 * table"): ../shared/anchors/ingest/sqlite_floor.c's loop -- one prepared INSERT of N events
 * inside BEGIN ... COMMIT, the raw C API, WAL, its own documents through json(?) -- but writing
 * the events table as `retort upgrade head` creates it (json_valid CHECKs, the status and
 * max_attempts CHECKs, the primary key and the three secondary indexes) instead of the floor's
 * bare five-column table.
 *
 *   sqlite_floor_events [--plain] DB N
 *
 * DB must hold that table, empty (retort_bench_events --url sqlite:///DB --setup makes it);
 * the program refuses a missing or non-empty one. Every row is what EventRepository::record_many
 * stores for the same document: the columns it names (id, data, task_context, created_at,
 * updated_at; status, attempts and run_after left to the table's defaults), a time-ordered
 * version 7 UUID as text, one timestamp per batch written the way retort writes one
 * (2026-12-07T22:14:18.652419Z), task_context NULL. --plain binds the document as it is instead
 * of through json(?) (retort checks the JSON in the client and binds the text). Prints
 * "... = R events/s", as the floor does, and checks that the table then holds N rows. */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static int fail(sqlite3* db, const char* what) {
  fprintf(stderr, "sqlite_floor_events: %s: %s\n", what, db ? sqlite3_errmsg(db) : "out of memory");
  return 1;
}

static long long count_events(sqlite3* db) {
  sqlite3_stmt* st = 0;
  long long n = -1;
  if (sqlite3_prepare_v2(db, "SELECT count(*) FROM events", -1, &st, 0) == SQLITE_OK &&
      sqlite3_step(st) == SQLITE_ROW)
    n = sqlite3_column_int64(st, 0);
  sqlite3_finalize(st);
  return n;
}

/* Now as retort's Timestamp::to_string writes it: microseconds, UTC, a Z. */
static void format_now(char* out, size_t size) {
  struct timespec now;
  struct tm utc;
  clock_gettime(CLOCK_REALTIME, &now);
  gmtime_r(&now.tv_sec, &utc);
  size_t n = strftime(out, size, "%Y-%m-%dT%H:%M:%S", &utc);
  snprintf(out + n, size - n, ".%06ldZ", now.tv_nsec / 1000);
}

int main(int argc, char** argv) {
  const int plain = argc > 1 && strcmp(argv[1], "--plain") == 0;
  argv += plain;
  argc -= plain;
  if (argc != 3 || atoi(argv[2]) < 1) {
    fprintf(stderr, "usage: sqlite_floor_events [--plain] DB N (N >= 1)\n");
    return 2;
  }
  const int n = atoi(argv[2]);
  sqlite3* db = 0;
  if (sqlite3_open(argv[1], &db) != SQLITE_OK) return fail(db, "open");
  if (sqlite3_exec(db, "PRAGMA journal_mode=WAL", 0, 0, 0) != SQLITE_OK) return fail(db, "WAL");
  if (count_events(db) != 0) {
    fprintf(stderr, "sqlite_floor_events: %s has no empty events table (run --setup first)\n",
            argv[1]);
    return 1;
  }
  const char* sql =
      plain ? "INSERT INTO \"events\" (\"id\", \"data\", \"task_context\", \"created_at\", "
              "\"updated_at\") VALUES (?, ?, NULL, ?, ?)"
            : "INSERT INTO \"events\" (\"id\", \"data\", \"task_context\", \"created_at\", "
              "\"updated_at\") VALUES (?, json(?), NULL, ?, ?)";
  char body[700], id[48], stamp[40];
  sqlite3_stmt* st = 0;
  struct timespec a, b;
  clock_gettime(CLOCK_MONOTONIC, &a);
  format_now(stamp, sizeof stamp);
  /* A version 7 UUID: 48 bits of Unix milliseconds, then the row number where the random bits
   * go, so that ids rise through the batch as retort's v7 ids do. */
  struct timespec wall;
  clock_gettime(CLOCK_REALTIME, &wall);
  const unsigned long long ms = (unsigned long long)wall.tv_sec * 1000 + wall.tv_nsec / 1000000;
  if (sqlite3_exec(db, "BEGIN", 0, 0, 0) != SQLITE_OK) return fail(db, "BEGIN");
  if (sqlite3_prepare_v2(db, sql, -1, &st, 0) != SQLITE_OK) return fail(db, "prepare");
  for (int i = 0; i < n; i++) {
    snprintf(id, sizeof id, "%08llx-%04llx-7%03x-8%03x-%012x", (ms >> 16) & 0xffffffffULL,
             ms & 0xffff, (unsigned)(i >> 12) & 0xfff, (unsigned)i & 0xfff, (unsigned)i);
    snprintf(body, sizeof body,
             "{\"type\":\"ticket.created\",\"source\":\"helpdesk\",\"ticket\":{\"id\":%d,"
             "\"subject\":\"Order %d has not arrived\",\"body\":\"Hello, I ordered a blue kettle "
             "two weeks ago and it has still not arrived. Hello, I ordered a blue kettle two weeks "
             "ago and it has still not arrived. Hello, I ordered a blue kettle two weeks ago and "
             "it has still not arrived. Hello, I ordered a blue kettle two weeks ago and it has "
             "still not arrived. \",\"customer\":{\"email\":\"user%d@example.com\",\"name\":\"Jane "
             "Doe\",\"tier\":\"pro\"},\"tags\":[\"shipping\",\"delay\"],\"priority\":%d}}",
             i, i, i, i % 4);
    sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, body, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 3, stamp, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, stamp, -1, SQLITE_STATIC);
    if (sqlite3_step(st) != SQLITE_DONE) return fail(db, "INSERT");
    sqlite3_reset(st);
  }
  sqlite3_finalize(st);
  if (sqlite3_exec(db, "COMMIT", 0, 0, 0) != SQLITE_OK) return fail(db, "COMMIT");
  clock_gettime(CLOCK_MONOTONIC, &b);
  const double dt = (b.tv_sec - a.tv_sec) + (b.tv_nsec - a.tv_nsec) / 1e9;
  const long long stored = count_events(db);
  if (stored != n) {
    fprintf(stderr, "sqlite_floor_events: inserted %d events, the table holds %lld\n", n, stored);
    return 1;
  }
  printf(
      "sqlite raw prepared insert, retort's events table%s: %d events in %.3f s = %.0f events/s\n",
      plain ? " (plain text)" : "", n, dt, n / dt);
  sqlite3_close(db);
  return 0;
}
