#!/usr/bin/env bash
# retort's driver against PostgreSQL's own tools, on the same server, in one run.
#
#   bench/run_driver_bench.sh --url URL [--driver PATH] [--seconds S] [--repeat R] [--rows N]
#                             [--batch B] [--threads T] [--only LIST] [--out FILE] [--table NAME]
#
# ./dev bench runs it against a throwaway cluster with PostgreSQL's default durability (fsync and
# synchronous_commit on). Each comparison is R rounds (default 15); a round runs the anchor and
# retort once each (S seconds, default 2; the side that goes first alternates), the table
# truncated and a CHECKPOINT taken before every run. The ratio reported is the median over the
# rounds of retort's rate / the anchor's rate in the same round: a paired figure, so the drift of
# the machine (above all the disk's flush latency, which jumps between ~0.3 and ~4 ms here) hits
# both sides of a pair alike. bench/README.md explains every row.
#
#   autocommit  retort: one INSERT, committed on its own, per statement (Connection::execute)
#               anchor: pgbench -n -M prepared -c 1 -T S, script INSERT ... VALUES
#                       (gen_random_uuid(), :payload::jsonb), the payload bound as a parameter
#               target: retort >= 0.95 x pgbench (the issue's requirement; exit status 3 if missed)
#   literal     the same, against pgbench with the payload as a SQL literal (a parameterless
#               statement: parsed once at prepare, no parameter sent); target 0.95 (stricter)
#   async       autocommit again, both sides with synchronous_commit=off (in the URL's options):
#               no flush wait, so the client's own cost per statement shows
#   session     retort: db.transaction { one INSERT }; anchor: pgbench BEGIN; INSERT; END;
#   pipeline    retort: Connection::pipeline of B INSERTs; anchor: pgbench \startpipeline,
#               B INSERTs, \endpipeline (one Sync: one implicit transaction per batch, as retort's)
#   threads     retort: T threads sharing the pool, autocommit; anchor: pgbench -c T -j 2
#   copy        retort: Connection::copy_in of N rows; anchor: psql \copy of the same N rows
#               from a file (\timing: the COPY alone, without psql's start and connection)
# Against pgbench, retort uses random (v4) ids as gen_random_uuid() does; COPY uses UUIDv7 on
# both sides (the file holds the rows retort generates).
set -euo pipefail

URL=
DRIVER=
SECONDS_PER_RUN=2
REPEAT=15
ROWS=50000
BATCH=100
THREADS=8
ONLY=autocommit,literal,async,session,pipeline,threads,copy
OUT=
TABLE=bench_events
PG_BINDIR=${RETORT_TEST_PG_BINDIR:-/usr/lib/postgresql/15/bin}
HERE=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lib/paired.sh
source "$HERE/lib/paired.sh"

usage() {
  sed -n '2,32p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
  exit 2
}

while (($#)); do
  case $1 in
    --url) URL=$2; shift ;;
    --driver) DRIVER=$2; shift ;;
    --seconds) SECONDS_PER_RUN=$2; shift ;;
    --repeat) REPEAT=$2; shift ;;
    --rows) ROWS=$2; shift ;;
    --batch) BATCH=$2; shift ;;
    --threads) THREADS=$2; shift ;;
    --only) ONLY=$2; shift ;;
    --out) OUT=$2; shift ;;
    --table) TABLE=$2; shift ;;
    -h | --help) usage ;;
    *) echo "run_driver_bench.sh: unknown argument '$1'" >&2; usage ;;
  esac
  shift
done
[[ -n $URL ]] || { echo "run_driver_bench.sh: --url is required" >&2; usage; }
[[ $SECONDS_PER_RUN =~ ^[1-9][0-9]*$ ]] || { echo "run_driver_bench.sh: --seconds takes whole seconds (pgbench -T)" >&2; exit 2; }
if [[ -z $DRIVER ]]; then
  DRIVER=$HERE/../build/bench/retort_bench_driver
fi
[[ -x $DRIVER ]] || { echo "run_driver_bench.sh: $DRIVER not found (./dev build)" >&2; exit 1; }
PSQL=$PG_BINDIR/psql
PGBENCH=$PG_BINDIR/pgbench
for tool in "$PSQL" "$PGBENCH"; do
  [[ -x $tool ]] || { echo "run_driver_bench.sh: $tool not found (./dev deps --bench)" >&2; exit 1; }
done

WORK=$(mktemp -d /tmp/retort-bench.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# The URL the measured runs connect with (the async comparison adds options to it).
RUN_URL=$URL
with_options() {
  local sep='?'
  [[ $URL == *'?'* ]] && sep='&'
  printf '%s%soptions=%s' "$URL" "$sep" "$1"
}

psql_q() { "$PSQL" -X -q -v ON_ERROR_STOP=1 -d "$URL" "$@"; }

# --- setup ------------------------------------------------------------------------------------

psql_q -c "DROP TABLE IF EXISTS $TABLE" -c "CREATE TABLE $TABLE (id uuid PRIMARY KEY,
  data jsonb NOT NULL, created_at timestamptz NOT NULL DEFAULT now())"

PAYLOAD=$("$DRIVER" --print-payload 0)
if [[ $PAYLOAD == *"'"* || $PAYLOAD == *\\* ]]; then
  echo "run_driver_bench.sh: the payload holds a quote or backslash; the literal script needs escaping" >&2
  exit 1
fi
INSERT_PARAM="INSERT INTO $TABLE(id, data) VALUES (gen_random_uuid(), :payload::jsonb);"
INSERT_LITERAL="INSERT INTO $TABLE(id, data) VALUES (gen_random_uuid(), '$PAYLOAD'::jsonb);"
printf '%s\n' "$INSERT_PARAM" >"$WORK/insert.sql"
printf '%s\n' "$INSERT_LITERAL" >"$WORK/insert_literal.sql"
printf 'BEGIN;\n%s\nEND;\n' "$INSERT_PARAM" >"$WORK/txn.sql"
{
  printf '%s\n' '\startpipeline'
  for ((k = 0; k < BATCH; k++)); do printf '%s\n' "$INSERT_PARAM"; done
  printf '%s\n' '\endpipeline'
} >"$WORK/pipeline.sql"

reset_table() {
  psql_q -c "TRUNCATE $TABLE" -c "CHECKPOINT"
}

table_count() {
  psql_q -At -c "SELECT count(*) FROM $TABLE"
}

# --- one run of each kind: each prints a rate (rows/s) on stdout -------------------------------

# pgbench_rate SCRIPT ROWS_PER_TRANSACTION CLIENTS (lib/paired.sh's, on this run's URL and payload)
driver_pgbench_rate() {
  pgbench_rate "$RUN_URL" "$WORK/$1" "$2" "$3" "$SECONDS_PER_RUN" -D "payload=$PAYLOAD"
}

# retort_rate MODE [driver args...]
retort_rate() {
  local mode=$1 out
  shift
  if ! out=$("$DRIVER" --url "$RUN_URL" --mode "$mode" --table "$TABLE" "$@" 2>&1); then
    echo "run_driver_bench.sh: retort_bench_driver --mode $mode failed:" >&2
    echo "$out" >&2
    return 1
  fi
  result_rate "$out"
}

copy_rate() { psql_copy_rate "$RUN_URL" "$TABLE(id, data)" "$WORK/rows.copy" "$ROWS"; }

reset_run() { reset_table; }

# --- comparisons ------------------------------------------------------------------------------

# driver_compare NAME TARGET ANCHOR RETORT [OPTIONS]: lib/paired.sh's compare, with OPTIONS
# (server settings such as -c synchronous_commit=off) in both sides' URL.
driver_compare() {
  RUN_URL=$URL
  [[ -n ${5:-} ]] && RUN_URL=$(with_options "$5")
  compare "$1" "$2" "$3" "$4"
  RUN_URL=$URL
}

wants() { [[ ,$ONLY, == *,$1,* ]]; }

S=$SECONDS_PER_RUN
echo "Driver benchmark: $REPEAT paired rounds of ${S}s per side (COPY: $ROWS rows)." >&2
if wants autocommit; then
  driver_compare "INSERT + COMMIT, 1 connection, vs pgbench -c 1 (payload bound)" 0.95 \
    "driver_pgbench_rate insert.sql 1 1" "retort_rate autocommit --seconds $S --id v4"
fi
if wants literal; then
  driver_compare "INSERT + COMMIT, 1 connection, vs pgbench -c 1 (payload as literal)" 0.95 \
    "driver_pgbench_rate insert_literal.sql 1 1" "retort_rate autocommit --seconds $S --id v4"
fi
if wants async; then
  driver_compare "INSERT + COMMIT, 1 connection, synchronous_commit=off on both sides" - \
    "driver_pgbench_rate insert.sql 1 1" "retort_rate autocommit --seconds $S --id v4" \
    "-c%20synchronous_commit%3Doff"
fi
if wants session; then
  driver_compare "BEGIN + INSERT + COMMIT (db.transaction) vs pgbench BEGIN; INSERT; END" - \
    "driver_pgbench_rate txn.sql 1 1" "retort_rate session --seconds $S --id v4"
fi
if wants pipeline; then
  driver_compare "pipeline of $BATCH INSERTs per commit vs pgbench \\startpipeline" - \
    "driver_pgbench_rate pipeline.sql $BATCH 1" "retort_rate pipeline --seconds $S --batch $BATCH --id v4"
fi
if wants threads; then
  driver_compare "INSERT + COMMIT, $THREADS threads sharing the pool, vs pgbench -c $THREADS -j 2" - \
    "driver_pgbench_rate insert.sql 1 $THREADS" "retort_rate threads --seconds $S --threads $THREADS --id v4"
fi
if wants copy; then
  "$DRIVER" --write-copy-file "$WORK/rows.copy" --rows "$ROWS"
  driver_compare "COPY of $ROWS rows (copy_in) vs psql \\copy of the same rows" - \
    "copy_rate" "retort_rate copy --rows $ROWS"
fi
psql_q -c "DROP TABLE IF EXISTS $TABLE"

# --- report -----------------------------------------------------------------------------------

server=$(psql_q -At -c "SHOW server_version")
settings=$(psql_q -At -c "SELECT string_agg(name || '=' || setting, ', ' ORDER BY name) FROM pg_settings
  WHERE name IN ('fsync', 'synchronous_commit', 'full_page_writes', 'wal_sync_method')")
report() {
  machine_line
  echo "Server: PostgreSQL $server on 127.0.0.1 (TCP, scram-sha-256), $settings"
  echo "Method: $REPEAT paired rounds, ${S}s per side per round (COPY: $ROWS rows); ratio = median of the rounds' retort/anchor."
  echo "Date: $(date -u +%Y-%m-%dT%H:%MZ)"
  echo
  report_rows rows/s
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
  echo "run_driver_bench.sh: $FAILED_TARGETS target(s) missed" >&2
  exit 3
fi
