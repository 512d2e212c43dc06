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

log() { printf '  %s\n' "$*" >&2; }

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

# pgbench_rate SCRIPT ROWS_PER_TRANSACTION CLIENTS
pgbench_rate() {
  local script=$1 per_txn=$2 clients=$3 jobs=1 out
  ((clients > 1)) && jobs=2
  if ! out=$("$PGBENCH" -n -M prepared -c "$clients" -j "$jobs" -T "$SECONDS_PER_RUN" \
    -f "$WORK/$script" -D "payload=$PAYLOAD" "$RUN_URL" 2>&1); then
    echo "run_driver_bench.sh: pgbench failed:" >&2
    echo "$out" >&2
    return 1
  fi
  local tps processed
  tps=$(sed -n 's/^tps = \([0-9.]*\) (without initial connection time)/\1/p' <<<"$out")
  processed=$(sed -n 's/^number of transactions actually processed: \([0-9]*\).*/\1/p' <<<"$out")
  [[ -n $tps && -n $processed ]] || { echo "run_driver_bench.sh: cannot read pgbench's output:" >&2; echo "$out" >&2; return 1; }
  local count
  count=$(table_count)
  if ((count != processed * per_txn)); then
    echo "run_driver_bench.sh: pgbench processed $processed x $per_txn rows, the table holds $count" >&2
    return 1
  fi
  local rate
  rate=$(awk -v t="$tps" -v k="$per_txn" 'BEGIN { printf "%.1f\n", t * k }')
  log "anchor  pgbench $script -c $clients: $((processed * per_txn)) rows, $rate rows/s"
  echo "$rate"
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
  local line
  line=$(grep '^RESULT ' <<<"$out" | tail -n1)
  [[ -n $line ]] || { echo "run_driver_bench.sh: no RESULT line from the driver:" >&2; echo "$out" >&2; return 1; }
  log "retort  ${line#RESULT }"
  sed -n 's/.* rate=\([0-9.]*\).*/\1/p' <<<"$line"
}

# psql \copy of the COPY file; \timing gives the COPY alone, without psql's start-up.
psql_copy_rate() {
  local out ms
  out=$("$PSQL" -X -v ON_ERROR_STOP=1 -d "$RUN_URL" -c '\timing on' \
    -c "\\copy $TABLE(id, data) from '$WORK/rows.copy'" 2>&1) || {
    echo "run_driver_bench.sh: psql \\copy failed:" >&2
    echo "$out" >&2
    return 1
  }
  ms=$(sed -n 's/^Time: \([0-9.]*\) ms.*/\1/p' <<<"$out" | tail -n1)
  [[ -n $ms ]] || { echo "run_driver_bench.sh: no timing from psql:" >&2; echo "$out" >&2; return 1; }
  local count
  count=$(table_count)
  ((count == ROWS)) || { echo "run_driver_bench.sh: psql \\copy stored $count rows, expected $ROWS" >&2; return 1; }
  local rate
  rate=$(awk -v n="$ROWS" -v ms="$ms" 'BEGIN { printf "%.1f\n", n / (ms / 1000) }')
  log "anchor  psql \\copy: $ROWS rows in $ms ms, $rate rows/s"
  echo "$rate"
}

median() {
  printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# --- comparisons ------------------------------------------------------------------------------

ROW_NAMES=() ROW_RETORT=() ROW_ANCHOR=() ROW_RATIO=() ROW_SPREAD=() ROW_TARGET=() ROW_VERDICT=()
ROW_RUNS=()
FAILED_TARGETS=0

# compare NAME TARGET "ANCHOR COMMAND" "RETORT COMMAND" [OPTIONS]: R paired rounds.
# OPTIONS (server settings such as -c synchronous_commit=off) go into both sides' URL.
compare() {
  local name=$1 target=$2 anchor_cmd=$3 retort_cmd=$4 options=${5:-}
  local anchor_rates=() retort_rates=() ratios=() r a t
  RUN_URL=$URL
  [[ -n $options ]] && RUN_URL=$(with_options "$options")
  echo "== $name" >&2
  for ((r = 1; r <= REPEAT; r++)); do
    if ((r % 2)); then
      reset_table; a=$(eval "$anchor_cmd")
      reset_table; t=$(eval "$retort_cmd")
    else
      reset_table; t=$(eval "$retort_cmd")
      reset_table; a=$(eval "$anchor_cmd")
    fi
    anchor_rates+=("$a")
    retort_rates+=("$t")
    ratios+=("$(awk -v x="$t" -v y="$a" 'BEGIN { printf "%.3f\n", (y > 0 ? x / y : 0) }')")
  done
  RUN_URL=$URL
  local med_r med_a ratio spread verdict=''
  med_r=$(median "${retort_rates[@]}")
  med_a=$(median "${anchor_rates[@]}")
  ratio=$(median "${ratios[@]}")
  spread="$(printf '%s\n' "${ratios[@]}" | sort -g | head -n1)–$(printf '%s\n' "${ratios[@]}" | sort -g | tail -n1)"
  if [[ $target != - ]]; then
    if awk -v x="$ratio" -v y="$target" 'BEGIN { exit !(x >= y) }'; then
      verdict=met
    else
      verdict=MISSED
      FAILED_TARGETS=$((FAILED_TARGETS + 1))
    fi
  fi
  ROW_NAMES+=("$name")
  ROW_RETORT+=("$med_r")
  ROW_ANCHOR+=("$med_a")
  ROW_RATIO+=("$ratio")
  ROW_SPREAD+=("$spread")
  ROW_TARGET+=("$target")
  ROW_VERDICT+=("$verdict")
  ROW_RUNS+=("retort $(IFS=/; echo "${retort_rates[*]}"); anchor $(IFS=/; echo "${anchor_rates[*]}"); ratios $(IFS=/; echo "${ratios[*]}")")
  echo "   median ratio $ratio (rounds: $spread); median rates: retort $med_r, anchor $med_a rows/s" >&2
}

wants() { [[ ,$ONLY, == *,$1,* ]]; }

S=$SECONDS_PER_RUN
echo "Driver benchmark: $REPEAT paired rounds of ${S}s per side (COPY: $ROWS rows)." >&2
if wants autocommit; then
  compare "INSERT + COMMIT, 1 connection, vs pgbench -c 1 (payload bound)" 0.95 \
    "pgbench_rate insert.sql 1 1" "retort_rate autocommit --seconds $S --id v4"
fi
if wants literal; then
  compare "INSERT + COMMIT, 1 connection, vs pgbench -c 1 (payload as literal)" 0.95 \
    "pgbench_rate insert_literal.sql 1 1" "retort_rate autocommit --seconds $S --id v4"
fi
if wants async; then
  compare "INSERT + COMMIT, 1 connection, synchronous_commit=off on both sides" - \
    "pgbench_rate insert.sql 1 1" "retort_rate autocommit --seconds $S --id v4" \
    "-c%20synchronous_commit%3Doff"
fi
if wants session; then
  compare "BEGIN + INSERT + COMMIT (db.transaction) vs pgbench BEGIN; INSERT; END" - \
    "pgbench_rate txn.sql 1 1" "retort_rate session --seconds $S --id v4"
fi
if wants pipeline; then
  compare "pipeline of $BATCH INSERTs per commit vs pgbench \\startpipeline" - \
    "pgbench_rate pipeline.sql $BATCH 1" "retort_rate pipeline --seconds $S --batch $BATCH --id v4"
fi
if wants threads; then
  compare "INSERT + COMMIT, $THREADS threads sharing the pool, vs pgbench -c $THREADS -j 2" - \
    "pgbench_rate insert.sql 1 $THREADS" "retort_rate threads --seconds $S --threads $THREADS --id v4"
fi
if wants copy; then
  "$DRIVER" --write-copy-file "$WORK/rows.copy" --rows "$ROWS"
  compare "COPY of $ROWS rows (copy_in) vs psql \\copy of the same rows" - \
    "psql_copy_rate" "retort_rate copy --rows $ROWS"
fi
psql_q -c "DROP TABLE IF EXISTS $TABLE"

# --- report -----------------------------------------------------------------------------------

server=$(psql_q -At -c "SHOW server_version")
settings=$(psql_q -At -c "SELECT string_agg(name || '=' || setting, ', ' ORDER BY name) FROM pg_settings
  WHERE name IN ('fsync', 'synchronous_commit', 'full_page_writes', 'wal_sync_method')")
cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo 2>/dev/null | head -n1)
report() {
  echo "Machine: $(nproc) cores (${cpu:-unknown CPU}), $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo) RAM, $(uname -sr)"
  echo "Server: PostgreSQL $server on 127.0.0.1 (TCP, scram-sha-256), $settings"
  echo "Method: $REPEAT paired rounds, ${S}s per side per round (COPY: $ROWS rows); ratio = median of the rounds' retort/anchor."
  echo "Date: $(date -u +%Y-%m-%dT%H:%MZ)"
  echo
  echo "| what | retort rows/s | anchor rows/s | ratio (retort/anchor) | rounds' ratios | target |"
  echo "|---|---:|---:|---:|---|---|"
  local i target
  for i in "${!ROW_NAMES[@]}"; do
    target='—'
    [[ ${ROW_TARGET[$i]} != - ]] && target="≥ ${ROW_TARGET[$i]} (${ROW_VERDICT[$i]})"
    printf '| %s | %.0f | %.0f | %s | %s | %s |\n' "${ROW_NAMES[$i]}" "${ROW_RETORT[$i]}" \
      "${ROW_ANCHOR[$i]}" "${ROW_RATIO[$i]}" "${ROW_SPREAD[$i]}" "$target"
  done
  echo
  echo "Rates are medians over the rounds. Every round (rows/s):"
  for i in "${!ROW_NAMES[@]}"; do
    echo "- ${ROW_NAMES[$i]}: ${ROW_RUNS[$i]}"
  done
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
