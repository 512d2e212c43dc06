#!/usr/bin/env bash
# Burn-down of N events stored before the workers start, no-op handler, the same PostgreSQL and
# the same concurrency: retort's C++ Worker (bench/processing/processing_burn.cpp) against graphile-worker
# 0.16.6 (graphile_burn_batched.js here: ../shared/anchors/worker/graphile_burn.js with its jobs
# queued by add_jobs in chunks, as the anchor's one-statement queueing does not finish at 100,000;
# GRAPHILE=anchor runs the anchor's script unchanged) and pg-boss 10.4.2 (pgboss_burn.js here).
# The anchors run on Debian's Node 20, installed from npm into NODE_DIR on first use.
#
#   ./dev bench processing [N] [CONCURRENCY] [BATCH] [ROUNDS]        (defaults 100000 8 50 3)
#
# Needs the release build (./dev build: build/bench/retort_bench_processing). Prints one line
# per system and round; docs/benchmarks.md quotes the medians.
set -euo pipefail
ROOT=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/../.." && pwd)
N=${1:-100000}
CONCURRENCY=${2:-8}
BATCH=${3:-50}
ROUNDS=${4:-3}
URL=${RETORT_TEST_PG_URL:?"run under ./dev bench processing (or ./dev pg --durable --)"}
NODE_DIR=${NODE_DIR:-$ROOT/build/bench-node}
ANCHORS=${ANCHORS:-$ROOT/../../shared/anchors/worker}
[[ -d $ANCHORS ]] || ANCHORS=/work/shared/anchors/worker
BENCH=${BENCH:-$ROOT/build/bench/retort_bench_processing}

mkdir -p "$NODE_DIR"
if [[ ! -d $NODE_DIR/node_modules/graphile-worker || ! -d $NODE_DIR/node_modules/pg-boss ]]; then
  (cd "$NODE_DIR" && npm install --no-audit --no-fund graphile-worker@0.16.6 pg-boss@10.4.2 >/dev/null)
fi
cp "$ANCHORS/graphile_burn.js" "$ROOT/bench/processing/pgboss_burn.js" \
  "$ROOT/bench/processing/graphile_burn_batched.js" "$NODE_DIR/"
GRAPHILE_JS=$NODE_DIR/graphile_burn_batched.js
[[ ${GRAPHILE:-} == anchor ]] && GRAPHILE_JS=$NODE_DIR/graphile_burn.js

median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
rate_of() { sed -n 's/.* = \([0-9.]*\) \(events\|jobs\)\/s.*/\1/p' | tail -1; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", a / b }'; }

echo "load average: $(cut -d' ' -f1-3 /proc/loadavg); $(nproc) cores"
echo "N=$N concurrency=$CONCURRENCY batch=$BATCH (retort, pg-boss) rounds=$ROUNDS"
R=() G=() B=() GX=() BX=()
for ((round = 1; round <= ROUNDS; round++)); do
  r=$(RETORT_MIGRATIONS_DIR="$ROOT/migrations" "$BENCH" "$URL" "$N" "$CONCURRENCY" "$BATCH")
  echo "  $r"
  g=$(node "$GRAPHILE_JS" "$URL" "$N" "$CONCURRENCY")
  echo "  $g"
  b=$(node "$NODE_DIR/pgboss_burn.js" "$URL" "$N" "$CONCURRENCY" "$BATCH")
  echo "  $b"
  R+=("$(rate_of <<<"$r")") G+=("$(rate_of <<<"$g")") B+=("$(rate_of <<<"$b")")
  GX+=("$(ratio "${R[-1]}" "${G[-1]}")") BX+=("$(ratio "${R[-1]}" "${B[-1]}")")
done
echo "| system | events/s per round | median | retort / it (median of rounds) |"
echo "|---|---|---:|---:|"
echo "| retort Worker, batch $BATCH | ${R[*]} | $(median "${R[@]}") | — |"
echo "| graphile-worker 0.16.6 | ${G[*]} | $(median "${G[@]}") | **$(median "${GX[@]}")x** (goal >= 2x) |"
echo "| pg-boss 10.4.2, batch $BATCH | ${B[*]} | $(median "${B[@]}") | **$(median "${BX[@]}")x** |"
