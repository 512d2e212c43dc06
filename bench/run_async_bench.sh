#!/usr/bin/env bash
# The asynchronous API against pgbench and the original stack's asynchronous path (SQLAlchemy 1.4's
# asyncio engine on asyncpg), on the same server, in one run (issue "Asynchronous database access").
#
#   bench/run_async_bench.sh --url URL [--bench PATH] [--seconds S] [--repeat R] [--only LIST]
#                            [--out FILE]
#
# Every comparison is R paired rounds (lib/paired.sh): the anchor and retort once each per round,
# the side going first alternating, the tables emptied and a CHECKPOINT taken before each run; the
# figure is the median of the rounds' retort/anchor ratios. Rows are events/s.
#
#   pgbench    retort: one thread, 64 coroutines over a pool of 8, INSERT ... RETURNING of the
#              reference event, each committing on its own; anchor: pgbench -n -M prepared -c 8 -j 1
#              with the same statement; target >= 1.0
#   pgbenchnosync  the same pair with synchronous_commit=off on both sides (reported: where
#              the flush wait is gone, each client's own cost per statement shows)
#   sqlalchemy the same retort run against async_anchor_sqlalchemy.py (64 asyncio tasks, pool of 8,
#              the seed's GenericRepository.create: add, commit); target >= 5
#   nosync     the same pair with synchronous_commit=off on both sides (each client's own cost
#              shows); target >= 5
#   pipeline   retort: one connection, single-row INSERTs 100 per pipeline; anchor: pgbench -c 1
#              with the same 100 INSERTs between \startpipeline and \endpipeline; target >= 1.0
#   memory     10,000 coroutines in flight over a pool of 8: resident memory above the idle
#              process; target < 10 MB. Beside it the floor: 10,000 bare Asio coroutines
#              awaiting one shared timer (what Asio and GCC's coroutine frames cost alone)
# Exit status 3 when a target is missed.
set -euo pipefail

URL=
BENCH=
SECONDS_PER_RUN=3
REPEAT=5
ONLY=pgbench,pgbenchnosync,sqlalchemy,nosync,pipeline,memory
OUT=
PG_BINDIR=${RETORT_TEST_PG_BINDIR:-/usr/lib/postgresql/15/bin}
HERE=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lib/paired.sh
source "$HERE/lib/paired.sh"

usage() {
  sed -n '2,29p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
  exit 2
}

while (($#)); do
  case $1 in
    --url) URL=$2; shift 2 ;;
    --bench) BENCH=$2; shift 2 ;;
    --seconds) SECONDS_PER_RUN=$2; shift 2 ;;
    --repeat) REPEAT=$2; shift 2 ;;
    --only) ONLY=$2; shift 2 ;;
    --out) OUT=$2; shift 2 ;;
    -h | --help) usage ;;
    *) echo "run_async_bench.sh: unknown argument $1" >&2; usage ;;
  esac
done
[[ -n $URL ]] || { echo "run_async_bench.sh: --url is required" >&2; usage; }
BENCH=${BENCH:-$HERE/../build/bench/retort_bench_async}
PSQL=$PG_BINDIR/psql
PGBENCH=$PG_BINDIR/pgbench
PY=/usr/bin/python3  # Debian's: the one that sees python3-sqlalchemy and python3-asyncpg
for tool in "$BENCH" "$PSQL" "$PGBENCH" "$PY"; do
  [[ -x $tool ]] || { echo "run_async_bench.sh: $tool not found (./dev build; ./dev deps --bench)" >&2; exit 1; }
done

WORK=$(mktemp -d /tmp/retort-async-bench.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# with_options URL OPTIONS: URL with libpq's options parameter (percent-encoded by the caller).
with_options() {
  local sep='?'
  [[ $1 == *'?'* ]] && sep='&'
  printf '%s%soptions=%s' "$1" "$sep" "$2"
}
R_URL=$(with_options "$URL" "-csearch_path%3Dretort_async_bench")
R_URL_NOSYNC=$(with_options "$URL" "-csearch_path%3Dretort_async_bench%20-csynchronous_commit%3Doff")

psql_q() { "$PSQL" -X -q -v ON_ERROR_STOP=1 -d "$URL" "$@"; }
psql_q -c "DROP SCHEMA IF EXISTS retort_async_bench CASCADE" -c "CREATE SCHEMA retort_async_bench"
"$BENCH" --url "$R_URL" --setup

table_count() { "$PSQL" -X -At -d "$R_URL" -c "SELECT count(*) FROM events"; }
reset_run() { "$PSQL" -X -q -d "$R_URL" -c "TRUNCATE events" -c "CHECKPOINT"; }

PAYLOAD=$("$BENCH" --print-payload)
INSERT="INSERT INTO events (id, data, task_context, created_at, updated_at) VALUES (gen_random_uuid(), :payload::jsonb, NULL, now(), now()) RETURNING id, data, task_context, created_at, updated_at;"
printf '%s\n' "$INSERT" >"$WORK/insert.sql"
{
  echo '\startpipeline'
  for ((i = 0; i < 100; i++)); do printf '%s\n' "$INSERT"; done
  echo '\endpipeline'
} >"$WORK/pipeline.sql"

# retort_rate URL MODE [args...]: the RESULT line's rate.
retort_rate() {
  local url=$1 mode=$2 out
  shift 2
  if ! out=$("$BENCH" --url "$url" --mode "$mode" --seconds "$SECONDS_PER_RUN" "$@" 2>&1); then
    echo "run_async_bench.sh: retort_bench_async --mode $mode failed:" >&2
    echo "$out" >&2
    return 1
  fi
  result_rate "$out"
}

# pgbench_j1 SCRIPT ROWS_PER_TRANSACTION CLIENTS [URL]: rows/s with one pgbench thread (-j 1, as the
# issue asks: one client thread against retort's one thread).
pgbench_j1() {
  local script=$1 per_txn=$2 clients=$3 url=${4:-$R_URL} out tps processed count
  if ! out=$("$PGBENCH" -n -M prepared -c "$clients" -j 1 -T "$SECONDS_PER_RUN" -f "$script" \
    -D "payload=$PAYLOAD" "$url" 2>&1); then
    echo "pgbench failed:" >&2; echo "$out" >&2; return 1
  fi
  tps=$(sed -n 's/^tps = \([0-9.]*\) (without initial connection time)/\1/p' <<<"$out")
  processed=$(sed -n 's/^number of transactions actually processed: \([0-9]*\).*/\1/p' <<<"$out")
  [[ -n $tps && -n $processed ]] || { echo "cannot read pgbench's output:" >&2; echo "$out" >&2; return 1; }
  count=$(table_count)
  ((count == processed * per_txn)) ||
    { echo "pgbench processed $processed x $per_txn rows, the table holds $count" >&2; return 1; }
  log "anchor  pgbench $(basename "$script") -c $clients -j 1: $((processed * per_txn)) rows"
  awk -v t="$tps" -v k="$per_txn" 'BEGIN { printf "%.1f\n", t * k }'
}

# sqlalchemy_rate [SYNC_COMMIT]: the anchor's events/s (its own schema and table).
sqlalchemy_rate() {
  local out rate
  out=$("$PY" "$HERE/async_anchor_sqlalchemy.py" "$URL" anchor_async_bench "$SECONDS_PER_RUN" 64 8 "$@" 2>&1) ||
    { echo "async_anchor_sqlalchemy.py failed:" >&2; echo "$out" >&2; return 1; }
  rate=$(sed -n 's/.* = \([0-9.]*\) events\/s.*/\1/p' <<<"$out" | tail -n1)
  [[ -n $rate ]] || { echo "no rate from the anchor:" >&2; echo "$out" >&2; return 1; }
  log "anchor  SQLAlchemy asyncio + asyncpg: $out"
  echo "$rate"
}

wants() { [[ ,$ONLY, == *,$1,* ]]; }

S=$SECONDS_PER_RUN
echo "Asynchronous API benchmark: $REPEAT paired rounds; timed runs ${S}s." >&2
if wants pgbench; then
  compare "one thread, 64 coroutines over 8 connections, INSERT + COMMIT vs pgbench -c 8 -j 1" 1.0 \
    "pgbench_j1 \"\$WORK/insert.sql\" 1 8" "retort_rate \"\$R_URL\" create --coroutines 64 --pool 8"
fi
if wants pgbenchnosync; then
  compare "the same pair with synchronous_commit=off on both sides" - \
    "pgbench_j1 \"\$WORK/insert.sql\" 1 8 \"\$R_URL_NOSYNC\"" \
    "retort_rate \"\$R_URL_NOSYNC\" create --coroutines 64 --pool 8"
fi
if wants sqlalchemy; then
  compare "the same vs SQLAlchemy 1.4 asyncio on asyncpg, 64 tasks, pool of 8 (repository create)" 5 \
    "sqlalchemy_rate" "retort_rate \"\$R_URL\" create --coroutines 64 --pool 8"
fi
if wants nosync; then
  compare "the same pair with synchronous_commit=off on both sides" 5 \
    "sqlalchemy_rate off" "retort_rate \"\$R_URL_NOSYNC\" create --coroutines 64 --pool 8"
fi
if wants pipeline; then
  compare "one connection, 100 single-row INSERTs per pipeline vs pgbench \\startpipeline (same 100)" 1.0 \
    "pgbench_j1 \"\$WORK/pipeline.sql\" 100 1" "retort_rate \"\$R_URL\" pipeline --batch 100"
fi
MEMORY_LINES=()
if wants memory; then
  echo "== memory, 10,000 coroutines in flight" >&2
  out=$("$BENCH" --url "$R_URL" --mode memory --coroutines 10000 --pool 8)
  log "retort  ${out#RESULT }"
  kib=$(sed -n 's/.* extra_kib=\(-\{0,1\}[0-9]*\).*/\1/p' <<<"$out")
  mb=$(awk -v k="$kib" 'BEGIN { printf "%.1f", k / 1024 }')
  if ((kib < 10 * 1024)); then v=met; else v=MISSED; FAILED_TARGETS=$((FAILED_TARGETS + 1)); fi
  MEMORY_LINES+=("| 10,000 coroutines in flight over a pool of 8, resident memory above the idle process | $mb MB | < 10 MB ($v) |")
  floor=$("$BENCH" --mode memory-floor --coroutines 10000)
  log "floor   ${floor#RESULT }"
  floor_kib=$(sed -n 's/.* extra_kib=\(-\{0,1\}[0-9]*\).*/\1/p' <<<"$floor")
  MEMORY_LINES+=("| the floor: 10,000 bare Asio coroutines awaiting one shared timer (no retort) | $(awk -v k="$floor_kib" 'BEGIN { printf "%.1f", k / 1024 }') MB | — |")
  MEMORY_LINES+=("| retort's own share (the first row less the floor) | $(awk -v k="$((kib - floor_kib))" 'BEGIN { printf "%.1f", k / 1024 }') MB | — |")
fi
psql_q -c "DROP SCHEMA IF EXISTS retort_async_bench CASCADE" -c "DROP SCHEMA IF EXISTS anchor_async_bench CASCADE"

server=$(psql_q -At -c "SHOW server_version")
settings=$(psql_q -At -c "SELECT string_agg(name || '=' || setting, ', ' ORDER BY name) FROM pg_settings
  WHERE name IN ('fsync', 'synchronous_commit', 'full_page_writes')")
report() {
  machine_line
  echo "Server: PostgreSQL $server on 127.0.0.1 (TCP), $settings; SQLAlchemy $("$PY" -c 'import sqlalchemy; print(sqlalchemy.__version__)'), asyncpg $("$PY" -c 'import asyncpg; print(asyncpg.__version__)')"
  echo "Method: $REPEAT paired rounds; timed runs ${S}s; ratio = median of the rounds' retort/anchor."
  echo "Date: $(date -u +%Y-%m-%dT%H:%MZ)"
  echo
  report_rows events/s
  if ((${#MEMORY_LINES[@]})); then
    echo
    echo "| what | figure | target |"
    echo "|---|---:|---|"
    printf '%s\n' "${MEMORY_LINES[@]}"
  fi
}
if [[ -n $OUT ]]; then report | tee "$OUT"; else report; fi
((FAILED_TARGETS == 0)) || exit 3
