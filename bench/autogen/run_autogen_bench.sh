#!/usr/bin/env bash
# `retort revision --autogenerate` against Alembic 1.8.1's `alembic revision --autogenerate`, on
# the same PostgreSQL server, in one run, for schemas of 100, 500 and 1,000 tables with a small
# drift. Prints times, speed-ups and retort's catalog query count, and checks the issue's targets.
#
#   bench/autogen/run_autogen_bench.sh --url URL [--bench PATH] [--repeat R] [--sizes "100 500 1000"]
#                                      [--out FILE] [--keep]
#
#   URL      a libpq URL of a server we may create schemas on (default: $RETORT_TEST_PG_URL)
#   PATH     retort_bench_autogen from a release build (default: build-rel/bench/retort_bench_autogen,
#            else build/bench/retort_bench_autogen): the retort command line with the same models
#
# The schema: /work/shared/anchors/alembic/gen_autogen.py writes Alembic's project (models of N
# tables) and live.sql (the same tables in the database, minus the drift: every 100th table has
# `extra2 text` where the models say `extra integer`). live.sql is loaded into two schemas, one per
# tool; both compare models and database and write a revision (hyperfine medians of R runs, the
# file removed before each run). Both must find the same drift: an added and a dropped column per
# drifted table.
#
# Targets: at 1,000 tables retort at least 30 times faster; retort's catalog queries the same for
# every size. Exit status: 0, or 3 when a target was missed.
set -euo pipefail

HERE=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd -- "$HERE/../.." && pwd)
URL=${RETORT_TEST_PG_URL:-}
BENCH=
REPEAT=5
SIZES="100 500 1000"
OUT=
KEEP=0
PY=/usr/bin/python3
GEN=${GEN_AUTOGEN:-/work/shared/anchors/alembic/gen_autogen.py}

usage() {
  sed -n '2,22p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
  exit 2
}

while (($#)); do
  case $1 in
    --url) URL=$2; shift ;;
    --bench) BENCH=$2; shift ;;
    --repeat) REPEAT=$2; shift ;;
    --sizes) SIZES=$2; shift ;;
    --out) OUT=$2; shift ;;
    --keep) KEEP=1 ;;
    -h | --help) usage ;;
    *) echo "unknown option $1" >&2; usage ;;
  esac
  shift
done

if [[ -z $BENCH ]]; then
  for candidate in "$ROOT/build-rel/bench/retort_bench_autogen" "$ROOT/build/bench/retort_bench_autogen"; do
    [[ -x $candidate ]] && { BENCH=$candidate; break; }
  done
fi
[[ -n $URL ]] || { echo "run_autogen_bench: --url (or RETORT_TEST_PG_URL) is required" >&2; exit 2; }
[[ -x $BENCH ]] || { echo "run_autogen_bench: retort_bench_autogen not found (release build with RETORT_BUILD_BENCH=ON)" >&2; exit 2; }
[[ -f $GEN ]] || { echo "run_autogen_bench: $GEN not found" >&2; exit 2; }
$PY -c 'import alembic, psycopg2' 2>/dev/null ||
  { echo "run_autogen_bench: needs python3-alembic and python3-psycopg2" >&2; exit 2; }
command -v hyperfine >/dev/null || { echo "run_autogen_bench: needs hyperfine" >&2; exit 2; }

WORK=$(mktemp -d /tmp/retort_autogen_bench.XXXXXX)
SCHEMAS=()
cleanup() {
  local s
  for s in "${SCHEMAS[@]}"; do psql "$URL" -qX -c "DROP SCHEMA IF EXISTS $s CASCADE" >/dev/null 2>&1 || true; done
  ((KEEP)) || rm -rf "$WORK"
}
trap cleanup EXIT

MISSED=0
REPORT=()
row() { # tables, retort s, alembic s, speed-up, catalog queries, operations, target, ok
  local line
  line=$(printf '| %6s | %9s | %9s | %8s | %15s | %16s | %-12s | %-4s |' "$@")
  REPORT+=("$line")
  echo "$line"
}
new_schema() {
  local s=rab_$1
  psql "$URL" -qX -c "DROP SCHEMA IF EXISTS $s CASCADE; CREATE SCHEMA $s" >/dev/null 2>&1
  SCHEMAS+=("$s")
  echo "$s"
}
with_options() {
  local sep='?'
  [[ $1 == *\?* ]] && sep='&'
  echo "$1${sep}options=-c%20search_path%3D$2"
}
alembic_url() {
  local u=${URL/#postgresql:\/\//postgresql+psycopg2://}
  u=${u/#postgres:\/\//postgresql+psycopg2://}
  local sep='?'
  [[ $u == *\?* ]] && sep='&'
  echo "$u${sep}options=-csearch_path%3D$1"
}
medians() {
  hyperfine -N --warmup 1 --runs "$REPEAT" --export-json "$WORK/h.json" "$@" >/dev/null 2>&1
  $PY -c 'import json,sys; [print(r["median"]) for r in json.load(open(sys.argv[1]))["results"]]' "$WORK/h.json"
}

echo "retort autogenerate benchmark: retort $("$BENCH" 1 --version) vs Alembic $($PY -c 'import alembic; print(alembic.__version__)') / SQLAlchemy $($PY -c 'import sqlalchemy; print(sqlalchemy.__version__)'), $(psql "$URL" -AtqX -c 'SHOW server_version' | sed 's/^/PostgreSQL /'), repeat $REPEAT"
row "tables" "retort s" "alembic s" "speed-up" "catalog queries" "ops retort/alem" "target" "ok"
row "---" "---" "---" "---" "---" "---" "---" "---"

declare -A QUERIES
for n in $SIZES; do
  as=$(new_schema "a_$n")
  rs=$(new_schema "r_$n")
  adir=$WORK/alembic_$n
  rdir=$WORK/retort_$n
  $PY "$GEN" "$adir" "$n" "$(alembic_url "$as")" >/dev/null
  # configparser interpolates '%': percent-encoded URLs need '%%' in alembic.ini.
  $PY - "$adir/alembic.ini" <<'PYEOF'
import sys
path = sys.argv[1]
lines = open(path).read().splitlines()
out = [l.split("=", 1)[0] + "=" + l.split("=", 1)[1].replace("%", "%%") if l.startswith("sqlalchemy.url") else l for l in lines]
open(path, "w").write("\n".join(out) + "\n")
PYEOF
  for s in "$as" "$rs"; do
    PGOPTIONS="-c search_path=$s" psql "$URL" -qX -v ON_ERROR_STOP=1 -f "$adir/live.sql" >/dev/null
  done
  mkdir -p "$rdir"
  (cd "$rdir" && "$BENCH" "$n" -q init migrations >/dev/null)
  rurl=$(with_options "$URL" "$rs")

  # Once, to check what each finds (and read retort's query count).
  log=$(cd "$rdir" && "$BENCH" "$n" --url "$rurl" revision --autogenerate -m drift 2>&1)
  rops=$(grep -c 'Detected' <<<"$log" || true)
  QUERIES[$n]=$(sed -n 's/.* in \([0-9]*\) catalog queries.*/\1/p' <<<"$log" | tail -1)
  rm -f "$rdir"/migrations/versions/*.sql
  (cd "$adir" && $PY -m alembic -c "$adir/alembic.ini" revision --autogenerate -m drift >/dev/null 2>&1)
  aops=$(cat "$adir"/versions/*.py | grep -c -E 'op\.(add|drop)_column' || true)
  aops=$((aops / 2))  # upgrade and downgrade each name every change
  rm -f "$adir"/versions/*.py

  mapfile -t m < <(medians \
    "bash -c 'cd $rdir && rm -f migrations/versions/*.sql && exec $BENCH $n -q --url \"$rurl\" revision --autogenerate -m drift'" \
    "bash -c 'cd $adir && rm -f versions/*.py && exec $PY -m alembic -c $adir/alembic.ini revision --autogenerate -m drift'")
  speed=$(awk -v a="${m[1]}" -v r="${m[0]}" 'BEGIN { printf "%.1f", a / r }')
  target="" ok=""
  if [[ $n == 1000 ]]; then
    target=">= 30x"
    ok=$(awk -v s="$speed" 'BEGIN { print (s >= 30) ? "yes" : "NO" }')
  fi
  if [[ $rops != "$aops" ]]; then ok="NO (ops)"; fi
  [[ $ok == NO* ]] && MISSED=1
  row "$n" "$(printf %.4f "${m[0]}")" "$(printf %.4f "${m[1]}")" "${speed}x" "${QUERIES[$n]}" "$rops/$aops" "$target" "$ok"
done

distinct=$(printf '%s\n' "${QUERIES[@]}" | sort -u | wc -l)
if ((distinct == 1)); then
  echo "catalog queries: ${QUERIES[*]} - the same for every size"
else
  echo "catalog queries: ${QUERIES[*]} - NOT constant"
  MISSED=1
fi

if [[ -n $OUT ]]; then
  printf '%s\n' "${REPORT[@]}" >"$OUT"
fi
if ((MISSED)); then
  echo "run_autogen_bench: a target was missed" >&2
  exit 3
fi
