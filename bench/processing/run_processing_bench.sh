#!/usr/bin/env bash
# Burn-down of N events stored before the workers start, no-op handler, the same PostgreSQL and
# the same concurrency: retort's C++ Worker (bench/processing/processing_burn.cpp) against graphile-worker
# 0.16.6 (../shared/anchors/worker/graphile_burn.js) and pg-boss 10.4.2 (pgboss_burn.js here).
# The anchors run on Debian's Node 20, installed from npm into NODE_DIR on first use.
#
#   ./dev pg --durable -- bench/processing/run_processing_bench.sh [N] [CONCURRENCY] [BATCH] [ROUNDS]
#
# Needs the release build (./dev build: build/bench/retort_bench_processing). Prints one line
# per system and round; docs/benchmarks.md quotes the medians.
set -euo pipefail
ROOT=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/../.." && pwd)
N=${1:-20000}
CONCURRENCY=${2:-8}
BATCH=${3:-50}
ROUNDS=${4:-3}
URL=${RETORT_TEST_PG_URL:?"run under ./dev pg --durable"}
NODE_DIR=${NODE_DIR:-$ROOT/build/bench-node}
ANCHORS=${ANCHORS:-$ROOT/../../shared/anchors/worker}
[[ -d $ANCHORS ]] || ANCHORS=/work/shared/anchors/worker
BENCH=${BENCH:-$ROOT/build/bench/retort_bench_processing}

mkdir -p "$NODE_DIR"
if [[ ! -d $NODE_DIR/node_modules/graphile-worker || ! -d $NODE_DIR/node_modules/pg-boss ]]; then
  (cd "$NODE_DIR" && npm install --no-audit --no-fund graphile-worker@0.16.6 pg-boss@10.4.2 >/dev/null)
fi
cp "$ANCHORS/graphile_burn.js" "$ROOT/bench/processing/pgboss_burn.js" "$NODE_DIR/"

echo "N=$N concurrency=$CONCURRENCY batch=$BATCH (retort, pg-boss) rounds=$ROUNDS"
for ((round = 1; round <= ROUNDS; round++)); do
  RETORT_MIGRATIONS_DIR="$ROOT/migrations" "$BENCH" "$URL" "$N" "$CONCURRENCY" "$BATCH"
  node "$NODE_DIR/graphile_burn.js" "$URL" "$N" "$CONCURRENCY"
  node "$NODE_DIR/pgboss_burn.js" "$URL" "$N" "$CONCURRENCY" "$BATCH"
done
