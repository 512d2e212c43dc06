#!/usr/bin/env bash
# Client instructions per ingested event, counted by callgrind (exact and repeatable: no timer,
# no disk, no neighbour on the shared cores changes the count; this machine's VM exposes no
# hardware counters to `perf stat`).
#
#   ./dev build
#   ./dev pg -- bench/run_instructions_bench.sh [--bench BIN] [--rows N] [--mode ingest|create_many]
#   bench/run_instructions_bench.sh --mode own-table [--bench BIN] [--rows N] [--keep DIR]
#
# For each backend (SQLite in a temporary file, PostgreSQL at $RETORT_TEST_PG_URL or --url), runs
# `retort_bench_events --mode ingest --file F` (events::ingest of a JSON Lines file: the reference
# payload, 571-572 bytes an event) under callgrind twice, with N and with 2N events, each into an
# empty events table, and prints (Ir(2N) - Ir(N)) / N: the instructions one more event costs,
# start-up, migrations and connection set-up cancelled out. --mode create_many counts
# EventRepository::record_many instead. Only retort's process is counted (not the server's).
#
# --mode own-table (SQLite only) counts both sides of run_events_bench.sh's sqliteown row the
# same way: record_many of the floor's documents (--mode create_many --documents floor) and
# sqlite_floor_events.c (the raw C floor's loop), each into an empty events table made by
# --setup, and prints their instructions per event and floor/retort (the rate ratio the counts
# predict). --keep DIR keeps the callgrind files of the 2N runs (callgrind_annotate --inclusive=yes).
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
BENCH=$HERE/../build/bench/retort_bench_events
URL=${RETORT_TEST_PG_URL:-}
ROWS=2000
MODE=ingest
KEEP=
PSQL=${RETORT_TEST_PG_BINDIR:-/usr/lib/postgresql/15/bin}/psql

while (($#)); do
  case $1 in
    --bench) BENCH=$2; shift ;;
    --url) URL=$2; shift ;;
    --rows) ROWS=$2; shift ;;
    --mode) MODE=$2; shift ;;
    --keep) KEEP=$2; shift ;;
    -h | --help) sed -n '2,22p' "$0"; exit 0 ;;
    *) echo "run_instructions_bench.sh: unknown argument '$1'" >&2; exit 2 ;;
  esac
  shift
done
[[ -x $BENCH ]] || { echo "run_instructions_bench.sh: $BENCH not found (./dev build)" >&2; exit 1; }
command -v valgrind >/dev/null || { echo "run_instructions_bench.sh: valgrind not installed" >&2; exit 1; }

WORK=$(mktemp -d /tmp/retort-instructions.XXXXXX)
trap 'rm -rf "$WORK"' EXIT

# instructions URL ROWS [reset command...]: Ir of one run of ROWS events into an empty table.
instructions() {
  local url=$1 rows=$2 args
  shift 2
  "$@"
  if [[ $MODE == ingest ]]; then
    "$BENCH" --write-jsonl "$WORK/events.jsonl" --rows "$rows"
    args=(--mode ingest --file "$WORK/events.jsonl")
  else
    args=(--mode create_many --rows "$rows")
  fi
  "$BENCH" --url "$url" --setup >/dev/null
  valgrind --tool=callgrind --callgrind-out-file="$WORK/cg.out" "$BENCH" --url "$url" "${args[@]}" \
    >"$WORK/run.log" 2>&1 || { cat "$WORK/run.log" >&2; return 1; }
  sed -n 's/^summary: \([0-9]*\)$/\1/p' "$WORK/cg.out"
}

reset_sqlite() { rm -f "$WORK"/lite.db*; }
# A schema of its own, emptied before each run (as run_events_bench.sh does).
reset_pg() {
  "$PSQL" -X -q -v ON_ERROR_STOP=1 -d "$URL" -c "DROP SCHEMA IF EXISTS retort_instructions CASCADE" \
    -c "CREATE SCHEMA retort_instructions" 2>/dev/null
}
in_schema() {
  local sep='?'
  [[ $URL == *'?'* ]] && sep='&'
  printf '%s%soptions=-csearch_path%%3Dretort_instructions' "$URL" "$sep"
}

per_event() {
  local name=$1 url=$2 reset=$3 small large
  small=$(instructions "$url" "$ROWS" "$reset")
  large=$(instructions "$url" $((2 * ROWS)) "$reset")
  printf '%-10s %s: %d instructions per event (Ir %d for %d events, %d for %d)\n' "$name" "$MODE" \
    $(((large - small) / ROWS)) "$small" "$ROWS" "$large" $((2 * ROWS))
}

# count_run NAME ROWS CMD...: Ir of CMD (run on an events table just made by --setup).
count_run() {
  local name=$1 rows=$2 out=$WORK/cg.out
  shift 2
  reset_sqlite
  "$BENCH" --url "sqlite:///$WORK/lite.db" --setup >/dev/null
  [[ -n $KEEP ]] && out=$KEEP/callgrind.$name.$rows.out
  valgrind --tool=callgrind --callgrind-out-file="$out" "$@" >"$WORK/run.log" 2>&1 ||
    { cat "$WORK/run.log" >&2; return 1; }
  sed -n 's/^summary: \([0-9]*\)$/\1/p' "$out"
}

# own_table_per_event NAME CMD...: instructions one more event costs; CMD takes the row count last.
own_table_per_event() {
  local name=$1 small large
  shift
  small=$(count_run "$name" "$ROWS" "$@" "$ROWS")
  large=$(count_run "$name" $((2 * ROWS)) "$@" $((2 * ROWS)))
  echo $(((large - small) / ROWS))
}

if [[ $MODE == own-table ]]; then
  [[ -n $KEEP ]] && mkdir -p "$KEEP"
  gcc -O2 -g -o "$WORK/sqlite_floor_events" "$HERE/sqlite_floor_events.c" -lsqlite3
  retort_ir=$(own_table_per_event retort "$BENCH" --url "sqlite:///$WORK/lite.db" \
    --mode create_many --documents floor --rows)
  floor_ir=$(own_table_per_event floor "$WORK/sqlite_floor_events" "$WORK/lite.db")
  floor_plain_ir=$(own_table_per_event floor_plain "$WORK/sqlite_floor_events" --plain \
    "$WORK/lite.db")
  printf 'retort record_many, own events table:           %d instructions per event\n' "$retort_ir"
  printf 'sqlite_floor_events (json(?)), same table:      %d instructions per event\n' "$floor_ir"
  printf 'sqlite_floor_events --plain, same table:        %d instructions per event\n' "$floor_plain_ir"
  printf 'floor/retort: %s (json(?)), %s (--plain)\n' \
    "$(awk -v f="$floor_ir" -v r="$retort_ir" 'BEGIN { printf "%.3f", f / r }')" \
    "$(awk -v f="$floor_plain_ir" -v r="$retort_ir" 'BEGIN { printf "%.3f", f / r }')"
  exit 0
fi

per_event sqlite "sqlite:///$WORK/lite.db" reset_sqlite
if [[ -n $URL ]]; then
  per_event postgresql "$(in_schema)" reset_pg
else
  echo "postgresql: skipped (no --url and no RETORT_TEST_PG_URL; run it under ./dev pg --)"
fi
