#!/usr/bin/env bash
# The original service's processing path against `retort events work`, on the same PostgreSQL
# (issue 15), in one run:
#
#   ./dev bench seed-path [--n N] [--concurrency C] [--batch B] [--rounds R] [--latency-n L]
#                         [--rate EPS] [--sqlite-n M] [--sqlite-procs P] [--only LIST]
#
#   burn     N events stored, then drained. Anchor: ../shared/anchors/worker/seed_worker.py burn
#            (Celery prefork xC over Redis, SQLAlchemy; its worker's start-up excluded). retort:
#            the same workflow as a C++ Worker handler (seed_path_bench.cpp, C slots, claims of
#            B; the worker started and idle before the N events are stored in one transaction,
#            so its start-up is excluded too) and as a Python handler through `retort events
#            work --once --exec` on the stored events (C handler processes; the start-up of
#            retort and of the handlers included). Goals: C++ >= 50x, Python >= 2x the
#            anchor's events/s.
#   latency  an idle worker, one event stored every 1/EPS s, L events: seed_worker.py latency
#            (Celery x2) against the C++ Worker (2 slots, LISTEN/NOTIFY, polling fallback 1 s),
#            the result seen by polling every 0.2 ms (as the anchor does, every 0.5 ms) and then
#            by a notification sent at its commit. Goal: p50 <= 5 ms, p99 <= 20 ms from the
#            event's commit to its result's.
#   sqlite   M events in one SQLite file drained by 1, then P worker processes (2 slots each):
#            events/s, and a count of "database is locked" in their output (goal: none).
#
# Ratios are per round (anchor and retort back to back), the figure their median.
set -euo pipefail
ROOT=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/../.." && pwd)
N=5000 CONCURRENCY=2 BATCH=50 ROUNDS=3 LATENCY_N=1000 RATE=50 SQLITE_N=20000 SQLITE_PROCS=4
ONLY=burn,latency,sqlite
while (($#)); do
  case $1 in
    --n) N=$2; shift ;;
    --concurrency) CONCURRENCY=$2; shift ;;
    --batch) BATCH=$2; shift ;;
    --rounds) ROUNDS=$2; shift ;;
    --latency-n) LATENCY_N=$2; shift ;;
    --rate) RATE=$2; shift ;;
    --sqlite-n) SQLITE_N=$2; shift ;;
    --sqlite-procs) SQLITE_PROCS=$2; shift ;;
    --only) ONLY=$2; shift ;;
    *) sed -n '2,24p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 2 ;;
  esac
  shift
done
URL=${RETORT_TEST_PG_URL:?"run under ./dev bench seed-path (or ./dev pg --durable --)"}
PSQL=${RETORT_TEST_PG_BINDIR:-/usr/lib/postgresql/15/bin}/psql
ANCHORS=${ANCHORS:-$ROOT/../../shared/anchors/worker}
[[ -d $ANCHORS ]] || ANCHORS=/work/shared/anchors/worker
BENCH=${BENCH:-$ROOT/build/bench/retort_bench_seed_path}
RETORT=${RETORT:-$ROOT/build/retort}
HANDLER=$ROOT/bench/processing/seed_workflow_handler.py
PY=/usr/bin/python3
export RETORT_MIGRATIONS_DIR=$ROOT/migrations
SEED_URL=postgresql+psycopg2://${URL#*://}
WORK=$(mktemp -d /tmp/retort-seed-path.XXXXXX)

# A Redis of this run's own on a free port (the anchor's broker), stopped on exit.
REDIS_PORT=$($PY -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save '' --appendonly no --daemonize yes \
  --dir "$WORK" --pidfile "$WORK/redis.pid" --logfile "$WORK/redis.log"
export SEED_BROKER=redis://127.0.0.1:$REDIS_PORT/0
cleanup() {
  [[ -f $WORK/redis.pid ]] && kill "$(cat "$WORK/redis.pid")" 2>/dev/null
  rm -rf "$WORK"
}
trap cleanup EXIT
for _ in $(seq 50); do [[ -f $WORK/redis.pid ]] && break; sleep 0.1; done

median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
rate_of() { sed -n 's/.* = \([0-9.]*\) events\/s.*/\1/p' | tail -1; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", a / b }'; }
now() { date +%s.%N; }
done_count() { "$PSQL" -X -At -d "$URL" -c "SELECT count(*) FROM events WHERE status = 'done'"; }

echo "load average: $(cut -d' ' -f1-3 /proc/loadavg); $(nproc) cores"
if [[ ,$ONLY, == *,burn,* ]]; then
  echo "## burn-down: N=$N, concurrency $CONCURRENCY, retort claims of $BATCH, $ROUNDS rounds"
  SEED=() CPP=() EXEC=() CPP_X=() EXEC_X=()
  for ((round = 1; round <= ROUNDS; round++)); do
    seed=$($PY "$ANCHORS/seed_worker.py" burn "$SEED_URL" "$N" "$CONCURRENCY")
    echo "  $seed"
    cpp=$("$BENCH" burn "$URL" "$N" "$CONCURRENCY" "$BATCH")
    echo "  $cpp"
    "$BENCH" store "$URL" "$N"
    t0=$(now)
    "$RETORT" --url "$URL" events work --once --concurrency "$CONCURRENCY" --batch-size "$BATCH" \
      --exec "$PY $HANDLER" >"$WORK/exec.log" 2>&1
    t1=$(now)
    done_n=$(done_count)
    [[ $done_n == "$N" ]] || { echo "exec handler: $done_n of $N done" >&2; cat "$WORK/exec.log" >&2; exit 1; }
    exec_rate=$(awk -v n="$N" -v a="$t0" -v b="$t1" 'BEGIN { printf "%.0f", n / (b - a) }')
    echo "  retort events work --exec python3: $N done in $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }') s = $exec_rate events/s (start-up included)"
    SEED+=("$(rate_of <<<"$seed")") CPP+=("$(rate_of <<<"$cpp")") EXEC+=("$exec_rate")
    CPP_X+=("$(ratio "${CPP[-1]}" "${SEED[-1]}")") EXEC_X+=("$(ratio "$exec_rate" "${SEED[-1]}")")
  done
  echo "| system | events/s per round | median | retort / seed (median of rounds) | goal |"
  echo "|---|---|---:|---:|---|"
  echo "| seed_worker.py burn (Celery prefork x$CONCURRENCY + Redis + SQLAlchemy) | ${SEED[*]} | $(median "${SEED[@]}") | — | — |"
  echo "| retort Worker, C++ handler | ${CPP[*]} | $(median "${CPP[@]}") | **$(median "${CPP_X[@]}")x** | >= 50x |"
  echo "| retort events work --exec python3 | ${EXEC[*]} | $(median "${EXEC[@]}") | **$(median "${EXEC_X[@]}")x** | >= 2x |"
fi

if [[ ,$ONLY, == *,latency,* ]]; then
  echo "## latency: $LATENCY_N events at $RATE/s, idle worker"
  $PY "$ANCHORS/seed_worker.py" latency "$SEED_URL" "$LATENCY_N" "$RATE" | sed 's/^/  /'
  "$BENCH" latency "$URL" "$LATENCY_N" "$RATE" 2 poll | sed 's/^/  /'
  "$BENCH" latency "$URL" "$LATENCY_N" "$RATE" 2 notify | sed 's/^/  /'
fi

if [[ ,$ONLY, == *,sqlite,* ]]; then
  echo "## one SQLite file: $SQLITE_N events, worker processes of 2 slots, claims of $BATCH"
  for procs in 1 "$SQLITE_PROCS"; do
    db=$WORK/events-$procs.db
    "$BENCH" store "sqlite:///$db" "$SQLITE_N"
    pids=()
    t0=$(now)
    for ((p = 0; p < procs; p++)); do
      "$BENCH" work "sqlite:///$db" 2 "$BATCH" >"$WORK/sqlite-$p.log" 2>&1 &
      pids+=($!)
    done
    failed=0
    for pid in "${pids[@]}"; do wait "$pid" || failed=$((failed + 1)); done
    t1=$(now)
    locked=$(cat "$WORK"/sqlite-*.log | grep -ci "locked" || true)
    done_n=$($PY -c "import sqlite3, sys; print(sqlite3.connect(sys.argv[1]).execute(\"SELECT count(*) FROM events WHERE status = 'done'\").fetchone()[0])" "$db")
    echo "  $procs process(es): $done_n of $SQLITE_N done in $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }') s = $(awk -v n="$done_n" -v a="$t0" -v b="$t1" 'BEGIN { printf "%.0f", n / (b - a) }') events/s; processes failed: $failed; \"database is locked\" lines: $locked"
    rm -f "$WORK"/sqlite-*.log
  done
fi
