#!/usr/bin/env bash
# Client instructions per ingested event, counted by callgrind (exact and repeatable: no timer,
# no disk, no neighbour on the shared cores changes the count; this machine's VM exposes no
# hardware counters to `perf stat`).
#
#   ./dev build
#   ./dev pg -- bench/run_instructions_bench.sh [--bench BIN] [--rows N] [--mode ingest|create_many]
#
# For each backend (SQLite in a temporary file, PostgreSQL at $RETORT_TEST_PG_URL or --url), runs
# `retort_bench_events --mode ingest --file F` (events::ingest of a JSON Lines file: the reference
# payload, 571-572 bytes an event) under callgrind twice, with N and with 2N events, each into an
# empty events table, and prints (Ir(2N) - Ir(N)) / N: the instructions one more event costs,
# start-up, migrations and connection set-up cancelled out. --mode create_many counts
# EventRepository::record_many instead. Only retort's process is counted (not the server's).
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
BENCH=$HERE/../build/bench/retort_bench_events
URL=${RETORT_TEST_PG_URL:-}
ROWS=2000
MODE=ingest
PSQL=${RETORT_TEST_PG_BINDIR:-/usr/lib/postgresql/15/bin}/psql

while (($#)); do
  case $1 in
    --bench) BENCH=$2; shift ;;
    --url) URL=$2; shift ;;
    --rows) ROWS=$2; shift ;;
    --mode) MODE=$2; shift ;;
    -h | --help) sed -n '2,15p' "$0"; exit 0 ;;
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

per_event sqlite "sqlite:///$WORK/lite.db" reset_sqlite
if [[ -n $URL ]]; then
  per_event postgresql "$(in_schema)" reset_pg
else
  echo "postgresql: skipped (no --url and no RETORT_TEST_PG_URL; run it under ./dev pg --)"
fi
