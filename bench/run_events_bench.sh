#!/usr/bin/env bash
# The event store against PostgreSQL's own tools, the seed's SQLAlchemy stack and the raw SQLite
# floor, on the same server, in one run (the issue "typed models, repository, event store").
#
#   bench/run_events_bench.sh --url URL [--bench PATH] [--retort PATH] [--seconds S] [--repeat R]
#                             [--rows N] [--seed-rows N] [--ingest-rows N] [--threads T]
#                             [--only LIST] [--out FILE]
#
# Every comparison is R paired rounds (lib/paired.sh): the anchor and retort once each per round,
# the side going first alternating, the tables emptied and a CHECKPOINT taken before each run;
# the figure is the median of the rounds' retort/anchor ratios. Rows are events/s.
#
#   create      retort: per event an autocommit session, EventRepository::record, commit (the
#               seed's GenericRepository.create; the INSERT commits on its own, one round trip
#               as pgbench's), 1 connection, S seconds
#               anchor: pgbench -n -M prepared -c 1 running the same INSERT ... RETURNING
#               target: >= 1.0 (issue 13)
#   createtx    the same with db.transaction (BEGIN ... COMMIT: a second round trip) against
#               the same pgbench run (reported)
#   seed        the same retort run against seed_repo.py URL N create (SQLAlchemy, one commit
#               per event); the issue expects about 2.5x
#   threads     retort: T threads sharing the pool doing what create does
#               anchor: pgbench -c T -j 2, the same INSERT; target: >= 0.9
#   copy        retort: record_many of N events in one session (COPY)
#               anchor: psql \copy of the same rows into the same table; target: >= 0.9
#   seedbulk    the same retort run against seed_repo.py URL N bulk (add_all, one commit); the
#               issue expects about 9x
#   sqlite      retort: record_many of N events into a fresh SQLite file (one prepared INSERT, one
#               transaction), the events table as retort creates it, given the documents the
#               floor formats for itself (compact JSON, byte for byte the floor's)
#               anchor: ../shared/anchors/ingest/sqlite_floor.c (raw C API); target: >= 0.9
#   sqlitesame  retort: the same record_many on the floor's own table (created by
#               retort_bench_events --floor-table: no CHECKs, no created_at index), so both sides
#               write the same table; anchor: the same floor run; target: >= 1.0 (issue 13)
#   sqliteown   retort: the sqlite run (record_many on the events table as retort creates it,
#               the floor's documents); anchor: bench/sqlite_floor_events.c, the floor's loop
#               (raw C API, one prepared INSERT, one transaction, json(?)) on that same table,
#               made by the same --setup (CHECKs, indexes, defaults), the same columns, ids
#               and timestamps as retort writes them; target: >= 1.0 (issue 13)
#   sqliteownplain  the same against sqlite_floor_events.c --plain (the document bound as
#               text, no json(?): the table's json_valid CHECK alone checks it) (reported)
#   sqliteref   the same with the reference payload (json.dumps spacing, 50 bytes longer per
#               event than what the floor stores) against the same floor (reported)
#   sqliteseed  retort's sqlite run (reference payload) against seed_repo_sqlite.py PATH N bulk
#   memory      `retort events ingest` of a JSON Lines file of --ingest-rows events (default
#               1,000,000), on PostgreSQL and on SQLite: peak resident set size (GNU time's %M)
#               target: <= 64 MB
# Exit status 3 when a target is missed.
set -euo pipefail

URL=
BENCH=
RETORT=
SECONDS_PER_RUN=2
REPEAT=9
ROWS=50000
SEED_ROWS=2000
INGEST_ROWS=1000000
THREADS=8
ONLY=create,createtx,seed,threads,copy,seedbulk,sqlite,sqlitesame,sqliteown,sqliteownplain,sqliteref,sqliteseed,memory
OUT=
PG_BINDIR=${RETORT_TEST_PG_BINDIR:-/usr/lib/postgresql/15/bin}
ANCHORS=${RETORT_ANCHORS:-/work/shared/anchors}
HERE=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lib/paired.sh
source "$HERE/lib/paired.sh"

usage() {
  sed -n '2,48p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
  exit 2
}

while (($#)); do
  case $1 in
    --url) URL=$2; shift ;;
    --bench) BENCH=$2; shift ;;
    --retort) RETORT=$2; shift ;;
    --seconds) SECONDS_PER_RUN=$2; shift ;;
    --repeat) REPEAT=$2; shift ;;
    --rows) ROWS=$2; shift ;;
    --seed-rows) SEED_ROWS=$2; shift ;;
    --ingest-rows) INGEST_ROWS=$2; shift ;;
    --threads) THREADS=$2; shift ;;
    --only) ONLY=$2; shift ;;
    --out) OUT=$2; shift ;;
    -h | --help) usage ;;
    *) echo "run_events_bench.sh: unknown argument '$1'" >&2; usage ;;
  esac
  shift
done
[[ -n $URL ]] || { echo "run_events_bench.sh: --url is required" >&2; usage; }
BENCH=${BENCH:-$HERE/../build/bench/retort_bench_events}
RETORT=${RETORT:-$HERE/../build/retort}
PSQL=$PG_BINDIR/psql
PGBENCH=$PG_BINDIR/pgbench
PY=/usr/bin/python3  # Debian's: the one that sees python3-sqlalchemy
for tool in "$BENCH" "$RETORT" "$PSQL" "$PGBENCH" "$PY" /usr/bin/time; do
  [[ -x $tool ]] || { echo "run_events_bench.sh: $tool not found (./dev build; ./dev deps --bench)" >&2; exit 1; }
done

WORK=$(mktemp -d /tmp/retort-events-bench.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Each side works in a schema of its own (the seed's script drops and recreates "events").
in_schema() {
  local sep='?'
  [[ $URL == *'?'* ]] && sep='&'
  printf '%s%soptions=-csearch_path%%3D%s' "$URL" "$sep" "$1"
}
R_URL=$(in_schema retort_bench)
SEED_URL=$(in_schema seed_bench)
SEED_URL=postgresql+psycopg2://${SEED_URL#*://}
LITE=$WORK/retort.db
FLOOR_DB=$WORK/floor.db
SEED_LITE=$WORK/seed.db

psql_q() { "$PSQL" -X -q -v ON_ERROR_STOP=1 -d "$URL" "$@"; }
psql_q -c "DROP SCHEMA IF EXISTS retort_bench CASCADE" -c "DROP SCHEMA IF EXISTS seed_bench CASCADE" \
  -c "CREATE SCHEMA retort_bench" -c "CREATE SCHEMA seed_bench"
"$BENCH" --url "$R_URL" --setup

table_count() { "$PSQL" -X -At -d "$R_URL" -c "SELECT count(*) FROM events"; }

reset_run() {
  "$PSQL" -X -q -d "$R_URL" -c "TRUNCATE events" -c "CHECKPOINT"
  rm -f "$LITE" "$LITE"-wal "$LITE"-shm "$FLOOR_DB"* "$SEED_LITE"*
}

PAYLOAD=$("$BENCH" --write-jsonl /dev/stdout --rows 1)
INSERT="INSERT INTO events (id, data, task_context, created_at, updated_at) VALUES (gen_random_uuid(), :payload::jsonb, NULL, now(), now()) RETURNING id, data, task_context, created_at, updated_at;"
printf '%s\n' "$INSERT" >"$WORK/insert.sql"

# --- one run of each kind: each prints a rate (events/s) on stdout ----------------------------

# retort_rate URL MODE [args...]
retort_rate() {
  local url=$1 mode=$2 out
  shift 2
  if ! out=$("$BENCH" --url "$url" --mode "$mode" "$@" 2>&1); then
    echo "run_events_bench.sh: retort_bench_events --mode $mode failed:" >&2
    echo "$out" >&2
    return 1
  fi
  result_rate "$out"
}

events_pgbench_rate() {
  pgbench_rate "$R_URL" "$WORK/insert.sql" 1 "$1" "$SECONDS_PER_RUN" -D "payload=$PAYLOAD"
}

# An anchor script printing "... = R events/s": R.
events_per_second() {
  local what=$1 out rate
  shift
  out=$("$@" 2>&1) || { echo "$what failed:" >&2; echo "$out" >&2; return 1; }
  rate=$(sed -n 's/.* = \([0-9.]*\) events\/s.*/\1/p' <<<"$out" | tail -n1)
  [[ -n $rate ]] || { echo "no rate from $what:" >&2; echo "$out" >&2; return 1; }
  log "anchor  $what: $out"
  echo "$rate"
}

seed_rate() { events_per_second "seed_repo.py $1" "$PY" "$ANCHORS/ingest/seed_repo.py" "$SEED_URL" "$2" "$1"; }
seed_sqlite_rate() {
  events_per_second "seed_repo_sqlite.py bulk" "$PY" "$ANCHORS/ingest/seed_repo_sqlite.py" \
    "$SEED_LITE" "$ROWS" bulk
}
floor_rate() { events_per_second "sqlite_floor" "$WORK/sqlite_floor" "$FLOOR_DB" "$ROWS"; }
# The floor's loop on retort's own events table, made by the same migrations (not timed).
# [--plain]: bind the document as text instead of through json(?).
floor_own_table_rate() {
  "$BENCH" --url "sqlite:///$FLOOR_DB" --setup
  events_per_second "sqlite_floor_events $*" "$WORK/sqlite_floor_events" "$@" "$FLOOR_DB" "$ROWS"
}
copy_rate() {
  psql_copy_rate "$R_URL" "events(id, data, created_at, updated_at)" "$WORK/rows.copy" "$ROWS"
}
# DOCUMENTS: floor (the floor's own compact documents, byte for byte) or reference.
sqlite_rate() {
  retort_rate "sqlite:///$LITE" create_many --setup --rows "$ROWS" --documents "${1:-floor}"
}

# retort on the table sqlite_floor.c creates (no CHECKs, no created_at index), its documents.
sqlite_same_table_rate() {
  "$BENCH" --url "sqlite:///$LITE" --floor-table
  retort_rate "sqlite:///$LITE" create_many --rows "$ROWS" --documents floor
}

# peak_rss NAME URL: `retort events ingest` of the JSON Lines file, peak RSS in KiB (GNU time).
peak_rss() {
  local name=$1 url=$2 out
  out=$(/usr/bin/time -f 'PEAK %M KiB %e s' "$RETORT" --url "$url" events ingest --restart "$WORK/events.jsonl" 2>&1) || {
    echo "retort events ingest failed on $name:" >&2
    echo "$out" >&2
    return 1
  }
  log "retort  events ingest ($name): $(grep -v '^PEAK' <<<"$out" | tail -n2 | tr '\n' ' ') $(grep '^PEAK' <<<"$out")"
  sed -n 's/^PEAK \([0-9]*\) KiB.*/\1/p' <<<"$out"
}

wants() { [[ ,$ONLY, == *,$1,* ]]; }

# --- comparisons ------------------------------------------------------------------------------

S=$SECONDS_PER_RUN
echo "Event store benchmark: $REPEAT paired rounds; timed runs ${S}s; bulk $ROWS events." >&2
if wants create; then
  compare "create + commit per event, 1 connection, vs pgbench -c 1 (same INSERT)" 1.0 \
    "events_pgbench_rate 1" "retort_rate \"\$R_URL\" create --seconds $S"
fi
if wants createtx; then
  compare "create in db.transaction (BEGIN, INSERT, COMMIT) per event vs pgbench -c 1" - \
    "events_pgbench_rate 1" "retort_rate \"\$R_URL\" create_tx --seconds $S"
fi
if wants seed; then
  compare "create + commit per event vs the seed's SQLAlchemy GenericRepository.create" - \
    "seed_rate create $SEED_ROWS" "retort_rate \"\$R_URL\" create --seconds $S"
fi
if wants threads; then
  compare "create + commit, $THREADS threads sharing the pool, vs pgbench -c $THREADS -j 2" 0.9 \
    "events_pgbench_rate $THREADS" "retort_rate \"\$R_URL\" threads --seconds $S --threads $THREADS"
fi
if wants copy; then
  "$BENCH" --write-copy-file "$WORK/rows.copy" --rows "$ROWS"
  compare "create_many of $ROWS events (COPY) vs psql \\copy of the same rows" 0.9 \
    "copy_rate" "retort_rate \"\$R_URL\" create_many --rows $ROWS"
fi
if wants seedbulk; then
  compare "create_many of $ROWS events vs the seed's SQLAlchemy bulk session" - \
    "seed_rate bulk $ROWS" "retort_rate \"\$R_URL\" create_many --rows $ROWS"
fi
if wants sqlite || wants sqlitesame || wants sqliteown || wants sqliteownplain || wants sqliteref || wants sqliteseed; then
  gcc -O2 -o "$WORK/sqlite_floor" "$ANCHORS/ingest/sqlite_floor.c" -lsqlite3
  gcc -O2 -o "$WORK/sqlite_floor_events" "$HERE/sqlite_floor_events.c" -lsqlite3
fi
if wants sqlite; then
  compare "SQLite create_many of $ROWS events vs the raw C API floor (sqlite_floor.c), the floor's documents" 0.9 \
    "floor_rate" "sqlite_rate floor"
fi
if wants sqlitesame; then
  compare "SQLite create_many of $ROWS events vs the raw C API floor, both on the floor's table" 1.0 \
    "floor_rate" "sqlite_same_table_rate"
fi
if wants sqliteown; then
  compare "SQLite create_many of $ROWS events vs the raw C API floor, both on retort's events table (CHECKs, indexes)" 1.0 \
    "floor_own_table_rate" "sqlite_rate floor"
fi
if wants sqliteownplain; then
  compare "SQLite create_many of $ROWS events vs the raw C API floor without json(?), both on retort's events table" - \
    "floor_own_table_rate --plain" "sqlite_rate floor"
fi
if wants sqliteref; then
  compare "SQLite create_many of $ROWS reference-payload events (50 bytes longer each) vs the same floor run" - \
    "floor_rate" "sqlite_rate reference"
fi
if wants sqliteseed; then
  compare "SQLite create_many of $ROWS events vs the seed's SQLAlchemy bulk on SQLite" - \
    "seed_sqlite_rate" "sqlite_rate reference"
fi
MEMORY_LINES=()
if wants memory; then
  echo "== peak memory, retort events ingest of $INGEST_ROWS events" >&2
  "$BENCH" --write-jsonl "$WORK/events.jsonl" --rows "$INGEST_ROWS"
  reset_run
  pg_kib=$(peak_rss PostgreSQL "$R_URL")
  ((pg_kib > 0)) && [[ $(table_count) == "$INGEST_ROWS" ]] ||
    { echo "run_events_bench.sh: the ingest did not store $INGEST_ROWS events" >&2; exit 1; }
  reset_run
  lite_kib=$(peak_rss SQLite "sqlite:///$LITE")
  for pair in "PostgreSQL:$pg_kib" "SQLite:$lite_kib"; do
    kib=${pair#*:}
    mb=$(awk -v k="$kib" 'BEGIN { printf "%.1f", k / 1024 }')
    if ((kib <= 64 * 1024)); then v=met; else v=MISSED; FAILED_TARGETS=$((FAILED_TARGETS + 1)); fi
    MEMORY_LINES+=("| retort events ingest of $INGEST_ROWS events ($(du -m "$WORK/events.jsonl" | cut -f1) MB of JSON Lines), ${pair%%:*} | $mb MB | ≤ 64 MB ($v) |")
  done
fi
psql_q -c "DROP SCHEMA IF EXISTS retort_bench CASCADE" -c "DROP SCHEMA IF EXISTS seed_bench CASCADE"

# --- report -----------------------------------------------------------------------------------

server=$(psql_q -At -c "SHOW server_version")
settings=$(psql_q -At -c "SELECT string_agg(name || '=' || setting, ', ' ORDER BY name) FROM pg_settings
  WHERE name IN ('fsync', 'synchronous_commit', 'full_page_writes')")
report() {
  machine_line
  echo "Server: PostgreSQL $server on 127.0.0.1 (TCP, scram-sha-256), $settings; SQLite $("$PY" -c 'import sqlite3; print(sqlite3.sqlite_version)')"
  echo "Method: $REPEAT paired rounds; timed runs ${S}s; bulk $ROWS events; ratio = median of the rounds' retort/anchor."
  echo "Date: $(date -u +%Y-%m-%dT%H:%MZ)"
  echo
  report_rows events/s
  if ((${#MEMORY_LINES[@]})); then
    echo
    echo "| what | peak RSS | target |"
    echo "|---|---:|---|"
    printf '%s\n' "${MEMORY_LINES[@]}"
  fi
}
echo
report
if [[ -n $OUT ]]; then
  mkdir -p "$(dirname -- "$OUT")"
  report >"$OUT"
  echo
  echo "(written to $OUT)"
fi
if ((FAILED_TARGETS)); then
  echo "run_events_bench.sh: $FAILED_TARGETS target(s) missed" >&2
  exit 3
fi
