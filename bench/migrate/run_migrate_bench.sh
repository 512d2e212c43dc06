#!/usr/bin/env bash
# retort's migration commands against Alembic 1.8.1 and psql, on the same PostgreSQL server, in
# one run. Prints a table of times and ratios and checks the issue's targets.
#
#   bench/migrate/run_migrate_bench.sh --url URL [--retort PATH] [--repeat R] [--only LIST]
#                                      [--runs RUNS] [--out FILE] [--keep]
#
#   URL      a libpq URL of a server we may create schemas on (default: $RETORT_TEST_PG_URL;
#            `./dev pg bench/migrate/run_migrate_bench.sh` gives a throwaway cluster)
#   PATH     the retort binary (default: build/retort, a release build: ./dev build)
#   LIST     startup,current,sqlite,heads,upgrade,downgrade (default: all; startup, sqlite and
#            heads need no server, and no --url when only they are chosen)
#
# Projects are generated side by side: Alembic's by /work/shared/anchors/alembic/gen_chain.py
# (N revisions r00000.., each op.create_table of one table), retort's by gen_retort_chain.py (the
# same ids, the same DDL as Alembic emits). Each tool works in a schema of its own.
#
#   startup    `retort --version` against a C++ hello-world built here with the same compiler and
#              flags (linked to the shared libstdc++), and /bin/true: R rounds, each one hyperfine
#              invocation running all three (-N, RUNS runs each, the order rotating); the ratio is
#              the median of the rounds' median ratios. target: retort <= 1.5x the hello-world
#   current    `current` with the version table at the head of 500 revisions (PostgreSQL);
#              hyperfine medians. target: retort <= 1/30 of Alembic
#   sqlite     `current` on a 500-revision project with a SQLite database, stamped at the head,
#              R paired rounds (RUNS runs of retort, 3 of Alembic). target: <= 1/50 of Alembic
#   heads      `heads` on 3,000 and 5,000 revisions (no database), paired rounds as sqlite.
#              target: <= 1/50 of Alembic
#   upgrade    `upgrade head` of 500 table-creating revisions on a fresh schema, against psql -f of
#              the SQL retort prints with `upgrade head --sql` (the same statements: SET, BEGIN,
#              CREATE TABLE, version-table change, history insert, COMMIT per revision) in one
#              session. R paired rounds, the order alternating; the median of retort/psql per
#              round. target: <= 1.1. Alembic's own `upgrade head` is timed once for reference.
#   downgrade  `downgrade base` of 1,000 / 2,500 / 5,000 revisions (per-revision transactions, and
#              one transaction for the run as Alembic's generated env.py does), against Alembic's
#              `downgrade base` of 5,000. targets: linear (time per revision at 5,000 within 1.5x
#              of that at 1,000) and >= 20x faster than Alembic.
#
# Exit status: 0, or 3 when a target was missed. bench/migrate/README.md explains the rows.
set -euo pipefail

HERE=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd -- "$HERE/../.." && pwd)
URL=${RETORT_TEST_PG_URL:-}
RETORT=$ROOT/build/retort
REPEAT=5
RUNS=100
ONLY=startup,current,sqlite,heads,upgrade,downgrade
OUT=
KEEP=0
PY=/usr/bin/python3
GEN_CHAIN=${GEN_CHAIN:-/work/shared/anchors/alembic/gen_chain.py}

usage() {
  sed -n '2,41p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
  exit 2
}

while (($#)); do
  case $1 in
    --url) URL=$2; shift ;;
    --retort) RETORT=$2; shift ;;
    --repeat) REPEAT=$2; shift ;;
    --runs) RUNS=$2; shift ;;
    --only) ONLY=$2; shift ;;
    --out) OUT=$2; shift ;;
    --keep) KEEP=1 ;;
    -h | --help) usage ;;
    *) echo "unknown option $1" >&2; usage ;;
  esac
  shift
done

want() { [[ ,$ONLY, == *,$1,* ]]; }
needs_server() { want current || want upgrade || want downgrade; }
if needs_server; then
  [[ -n $URL ]] || { echo "run_migrate_bench: --url (or RETORT_TEST_PG_URL) is required" >&2; exit 2; }
fi
[[ -x $RETORT ]] || { echo "run_migrate_bench: $RETORT is not executable (./dev build)" >&2; exit 2; }
[[ -f $GEN_CHAIN ]] || { echo "run_migrate_bench: $GEN_CHAIN not found" >&2; exit 2; }
$PY -c 'import alembic, psycopg2' 2>/dev/null ||
  { echo "run_migrate_bench: needs python3-alembic and python3-psycopg2 (./dev deps --bench)" >&2; exit 2; }
command -v hyperfine >/dev/null || { echo "run_migrate_bench: needs hyperfine (./dev deps --bench)" >&2; exit 2; }

WORK=$(mktemp -d /tmp/retort_migrate_bench.XXXXXX)
SCHEMAS=()
cleanup() {
  local s
  for s in "${SCHEMAS[@]}"; do psql "$URL" -qX -c "DROP SCHEMA IF EXISTS $s CASCADE" >/dev/null 2>&1 || true; done
  ((KEEP)) || rm -rf "$WORK"
}
trap cleanup EXIT

now_ns() { date +%s%N; }
secs() { awk -v ns="$1" 'BEGIN { printf "%.3f", ns / 1e9 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", a / b }'; }
MISSED=0
REPORT=()
row() { # name, retort, anchor, ratio, target, ok
  local line
  line=$(printf '| %-44s | %10s | %10s | %9s | %-14s | %-4s |' "$@")
  REPORT+=("$line")
  echo "$line"
}

# A schema per use, dropped at the end.
new_schema() {
  local s=rmb_$1
  psql "$URL" -qX -c "DROP SCHEMA IF EXISTS $s CASCADE; CREATE SCHEMA $s" >/dev/null 2>&1
  SCHEMAS+=("$s")
  echo "$s"
}
reset_schema() { psql "$URL" -qX -c "DROP SCHEMA IF EXISTS $1 CASCADE; CREATE SCHEMA $1" >/dev/null 2>&1; }
with_options() { # URL with search_path set to schema $2
  local sep='?'
  [[ $1 == *\?* ]] && sep='&'
  echo "$1${sep}options=-c%20search_path%3D$2"
}
retort_url() { with_options "$URL" "$1"; }
alembic_url() { # SQLAlchemy spelling, search_path in psycopg2's options
  local u=${URL/#postgresql:\/\//postgresql+psycopg2://}
  u=${u/#postgres:\/\//postgresql+psycopg2://}
  local sep='?'
  [[ $u == *\?* ]] && sep='&'
  echo "$u${sep}options=-csearch_path%3D$1"
}

# Alembic project of n revisions at $WORK/alembic_n, for schema s.
alembic_project() {
  local n=$1 s=$2 dir=$WORK/alembic_$1
  if [[ ! -d $dir ]]; then
    $PY "$GEN_CHAIN" "$dir" "$n" "$(alembic_url "$s")" >/dev/null
  fi
  # configparser interpolates '%': percent-encoded URLs need '%%' in alembic.ini.
  local url
  url=$(alembic_url "$s")
  $PY - "$dir/alembic.ini" "$url" <<'EOF'
import sys
path, url = sys.argv[1], sys.argv[2]
lines = open(path).read().splitlines()
out = [("sqlalchemy.url = " + url.replace("%", "%%")) if l.startswith("sqlalchemy.url") else l for l in lines]
open(path, "w").write("\n".join(out) + "\n")
EOF
  echo "$dir"
}
alembic() { (cd "$1" && $PY -m alembic -c "$1/alembic.ini" "${@:2}"); }

retort_project() { # n [--whole-run]
  local dir=$WORK/retort_$1${2:+_whole}
  [[ -d $dir ]] || $PY "$HERE/gen_retort_chain.py" "$dir" "$1" ${2:+"$2"}
  echo "$dir"
}
rt() { (cd "$1" && "$RETORT" -q --url "$(retort_url "$2")" "${@:3}"); }

# median_in DIR COMMAND: hyperfine's median (seconds) of COMMAND run in DIR without a shell
# (-N: a `bash -c 'cd ...'` wrapper would add a shell's start-up to both sides).
median_in() {
  (cd "$1" && hyperfine -N --warmup 2 --runs "$REPEAT" --export-json "$WORK/h.json" "$2" >/dev/null 2>&1)
  $PY -c 'import json,sys; print(json.load(open(sys.argv[1]))["results"][0]["median"])' "$WORK/h.json"
}

# medians RETORT_DIR RETORT_COMMAND ALEMBIC_DIR ALEMBIC_COMMAND: both medians, one per line.
# Files written in the last two seconds are not cached (the header cache's "racy git" rule, as
# an edit within the same timestamp tick could go unseen), so a project is two seconds old
# before it is timed; the warm-ups then build each tool's cache (.retort-cache, __pycache__).
medians() {
  sleep 2.1
  median_in "$1" "$2"
  median_in "$3" "$4"
}

# hf DIR RUNS WARMUP CMD...: one hyperfine invocation (-N, in DIR) of every CMD, RUNS runs each
# after WARMUP warm-ups; prints "median-seconds<TAB>command<TAB>mean user+system seconds" for
# each, in the order given (CPU time: less disturbed than elapsed time by other work on the
# machine, which delays a process more than it lengthens it).
hf() {
  local dir=$1 runs=$2 warmup=$3
  shift 3
  (cd "$dir" && hyperfine -N --warmup "$warmup" --runs "$runs" --export-json "$WORK/h.json" "$@" >/dev/null 2>&1)
  $PY -c 'import json,sys; [print("%r\t%s\t%r" % (r["median"], r["command"], r["user"] + r["system"])) for r in json.load(open(sys.argv[1]))["results"]]' "$WORK/h.json"
}
median_of() { printf '%s\n' "$@" | sort -g | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
spread_of() { printf '%s–%s' "$(printf '%s\n' "$@" | sort -g | head -n1)" "$(printf '%s\n' "$@" | sort -g | tail -n1)"; }

# paired DIR RETORT_COMMAND ANCHOR_COMMAND: REPEAT rounds, the side going first alternating;
# a round is RUNS runs of retort and 3 of the anchor (after a warm-up each), in DIR. Sets
# P_RETORT and P_ANCHOR (the medians of the rounds' medians, seconds), P_RATIO (the median of
# the rounds' ratios) and P_SPREAD (their range). The project is two seconds old before it is
# timed (the header cache's "racy git" rule: see medians).
paired() {
  local dir=$1 rcmd=$2 acmd=$3 i r a rs=() as=() ratios=()
  sleep 2.1
  for ((i = 0; i < REPEAT; i++)); do
    if ((i % 2)); then
      a=$(hf "$dir" 3 1 "$acmd" | cut -f1)
      r=$(hf "$dir" "$RUNS" 5 "$rcmd" | cut -f1)
    else
      r=$(hf "$dir" "$RUNS" 5 "$rcmd" | cut -f1)
      a=$(hf "$dir" 3 1 "$acmd" | cut -f1)
    fi
    rs+=("$r") as+=("$a") ratios+=("$(ratio "$r" "$a")")
  done
  P_RETORT=$(median_of "${rs[@]}")
  P_ANCHOR=$(median_of "${as[@]}")
  P_RATIO=$(printf %.4f "$(median_of "${ratios[@]}")")
  P_SPREAD=$(spread_of "${ratios[@]}")
}

server="no server"
needs_server && server=$(psql "$URL" -AtqX -c 'SHOW server_version' | sed 's/^/PostgreSQL /')
echo "retort migrate benchmark: $("$RETORT" --version) vs Alembic $($PY -c 'import alembic; print(alembic.__version__)'), $server, repeat $REPEAT, runs $RUNS"
echo "machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg) (at the start)"
row "what" "retort s" "anchor s" "ratio" "target" "ok"
row "----" "---" "---" "---" "---" "---"

if want startup; then
  # The anchor: a C++ hello-world from the compiler and release flags that built retort,
  # linked to the shared libstdc++ as C++ programs are by default.
  cache=$(dirname -- "$RETORT")/CMakeCache.txt
  cxx=$(sed -n 's/^CMAKE_CXX_COMPILER:[A-Z]*=//p' "$cache" 2>/dev/null || true)
  cxxflags=$(sed -n 's/^CMAKE_CXX_FLAGS_RELEASE:[A-Z]*=//p' "$cache" 2>/dev/null || true)
  printf '#include <iostream>\nint main() { std::cout << "hello\\n"; }\n' >"$WORK/hello.cpp"
  # shellcheck disable=SC2086 # the flags are words
  "${cxx:-c++}" -std=c++20 ${cxxflags:--O3 -DNDEBUG} -o "$WORK/hello" "$WORK/hello.cpp"
  cmds=("$WORK/hello" /bin/true "$RETORT --version")
  declare -A times=()
  ratios=() true_ratios=() cpu_ratios=()
  for ((i = 0; i < REPEAT; i++)); do
    k=$((i % 3))
    order=("${cmds[@]:k}" "${cmds[@]:0:k}")
    declare -A round=() cpu=()
    while IFS=$'\t' read -r med cmd c; do round[$cmd]=$med cpu[$cmd]=$c; done < <(hf "$WORK" "$RUNS" 10 "${order[@]}")
    for c in "${cmds[@]}"; do times[$c]+="${round[$c]} "; done
    ratios+=("$(ratio "${round[${cmds[2]}]}" "${round[${cmds[0]}]}")")
    true_ratios+=("$(ratio "${round[/bin/true]}" "${round[${cmds[0]}]}")")
    cpu_ratios+=("$(ratio "${cpu[${cmds[2]}]}" "${cpu[${cmds[0]}]}")")
    unset round cpu
  done
  # shellcheck disable=SC2086 # the lists are words
  {
    t_hello=$(median_of ${times[${cmds[0]}]})
    t_true=$(median_of ${times[/bin/true]})
    t_retort=$(median_of ${times[${cmds[2]}]})
  }
  r=$(printf %.3f "$(median_of "${ratios[@]}")")
  ok=$(awk -v r="$r" 'BEGIN { print (r <= 1.5) ? "yes" : "NO" }')
  [[ $ok == yes ]] || MISSED=1
  row "--version vs C++ hello-world (x hello)" "$(printf %.5f "$t_retort")" "$(printf %.5f "$t_hello")" "$r" "<= 1.5" "$ok"
  row "  (/bin/true vs the hello-world)" "" "$(printf %.5f "$t_true")" "$(printf %.3f "$(median_of "${true_ratios[@]}")")" "" ""
  row "  (CPU time, user+system, x hello)" "" "" "$(printf %.3f "$(median_of "${cpu_ratios[@]}")")" "" ""
  echo "  per-round ratios (retort/hello): ${ratios[*]}; CPU time: ${cpu_ratios[*]}"
fi

if want current; then
  rs=$(new_schema cur_r)
  as=$(new_schema cur_a)
  rdir=$(retort_project 500)
  adir=$(alembic_project 500 "$as")
  rt "$rdir" "$rs" stamp head >/dev/null
  alembic "$adir" stamp head >/dev/null 2>&1
  mapfile -t m < <(medians "$rdir" "$RETORT --url $(retort_url "$rs") current" \
    "$adir" "$PY -m alembic -c $adir/alembic.ini current")
  r=$(ratio "${m[0]}" "${m[1]}")
  ok=$(awk -v r="$r" 'BEGIN { print (r <= 1/30) ? "yes" : "NO" }')
  [[ $ok == yes ]] || MISSED=1
  row "current, 500 revisions (PostgreSQL)" "$(printf %.4f "${m[0]}")" "$(printf %.4f "${m[1]}")" "$r" "<= 0.0333" "$ok"
  # The floor: connecting and one SELECT from C with libpq, the same URL and login.
  gcc -O2 -o "$WORK/pq_floor" "$HERE/pq_floor.c" -I"$(pg_config --includedir)" -lpq
  floor=$(median_in "$rdir" "$WORK/pq_floor $(retort_url "$rs") retort_version")
  row "  (libpq floor: C connect + the same SELECT)" "$(printf %.4f "$floor")" "$(printf %.4f "${m[1]}")" "$(ratio "$floor" "${m[1]}")" "" ""
  row "  (retort over the floor)" "" "" "$(ratio "${m[0]}" "$floor")" "" ""
fi

if want sqlite; then
  # The same 500 revisions on SQLite, each tool's database stamped at the head.
  rdir=$(retort_project 500)
  adir=$WORK/alembic_sqlite_500
  $PY "$GEN_CHAIN" "$adir" 500 "sqlite:///$adir/alembic.db" >/dev/null
  rurl="sqlite:///$WORK/retort_sqlite.db"
  (cd "$rdir" && "$RETORT" -q --url "$rurl" stamp head >/dev/null)
  alembic "$adir" stamp head >/dev/null 2>&1
  paired "$rdir" "$RETORT --url $rurl current" "$PY -m alembic -c $adir/alembic.ini current"
  ok=$(awk -v r="$P_RATIO" 'BEGIN { print (r <= 1/50) ? "yes" : "NO" }')
  [[ $ok == yes ]] || MISSED=1
  row "current, 500 revisions (SQLite)" "$(printf %.4f "$P_RETORT")" "$(printf %.4f "$P_ANCHOR")" "$P_RATIO" "<= 0.02" "$ok"
  echo "  rounds' ratios: $P_SPREAD"
fi

if want heads; then
  for n in 3000 5000; do
    rdir=$(retort_project "$n")
    adir=$(alembic_project "$n" unused)
    paired "$rdir" "$RETORT heads" "$PY -m alembic -c $adir/alembic.ini heads"
    ok=$(awk -v r="$P_RATIO" 'BEGIN { print (r <= 1/50) ? "yes" : "NO" }')
    [[ $ok == yes ]] || MISSED=1
    row "heads, $n revisions" "$(printf %.4f "$P_RETORT")" "$(printf %.4f "$P_ANCHOR")" "$P_RATIO" "<= 0.02" "$ok"
    echo "  rounds' ratios: $P_SPREAD"
  done
fi

if want upgrade; then
  rs=$(new_schema up_r)
  ps=$(new_schema up_p)
  rdir=$(retort_project 500)
  rt "$rdir" "$rs" upgrade head --sql >"$WORK/upgrade_500.sql"
  ratios=()
  rsum=0 psum=0
  for ((i = 0; i < REPEAT; i++)); do
    reset_schema "$rs"
    reset_schema "$ps"
    for side in $( ((i % 2)) && echo "psql retort" || echo "retort psql"); do
      psql "$URL" -qX -c CHECKPOINT >/dev/null
      t0=$(now_ns)
      if [[ $side == retort ]]; then
        rt "$rdir" "$rs" upgrade head
        tr=$(($(now_ns) - t0))
      else
        PGOPTIONS="-c search_path=$ps" psql "$URL" -qX -v ON_ERROR_STOP=1 -f "$WORK/upgrade_500.sql" >/dev/null
        tp=$(($(now_ns) - t0))
      fi
    done
    ratios+=("$(ratio "$tr" "$tp")")
    rsum=$((rsum + tr))
    psum=$((psum + tp))
  done
  med=$(printf '%s\n' "${ratios[@]}" | sort -g | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }')
  ok=$(awk -v r="$med" 'BEGIN { print (r <= 1.1) ? "yes" : "NO" }')
  [[ $ok == yes ]] || MISSED=1
  row "upgrade head, 500 tables vs psql -f (median)" "$(secs $((rsum / REPEAT)))" "$(secs $((psum / REPEAT)))" "$med" "<= 1.1" "$ok"
  echo "  per-round ratios: ${ratios[*]}"
  as=$(new_schema up_a)
  adir=$(alembic_project 500 "$as")
  t0=$(now_ns)
  alembic "$adir" upgrade head >/dev/null 2>&1
  ta=$(($(now_ns) - t0))
  row "  (alembic upgrade head, 500 tables, once)" "" "$(secs "$ta")" "" "" ""
fi

if want downgrade; then
  declare -A per
  for mode in "" --whole-run; do
    for n in 1000 2500 5000; do
      rs=$(new_schema "down_r${n}${mode:+_w}")
      rdir=$(retort_project "$n" $mode)
      rt "$rdir" "$rs" upgrade head
      t0=$(now_ns)
      rt "$rdir" "$rs" downgrade base
      td=$(($(now_ns) - t0))
      per[$mode$n]=$td
      row "downgrade base, $n revisions${mode:+, one transaction}" "$(secs "$td")" "" "" "" ""
    done
    lin=$(awk -v a="${per[${mode}5000]}" -v b="${per[${mode}1000]}" 'BEGIN { printf "%.2f", (a / 5000) / (b / 1000) }')
    ok=$(awk -v r="$lin" 'BEGIN { print (r <= 1.5) ? "yes" : "NO" }')
    [[ $ok == yes ]] || MISSED=1
    row "  per-revision time 5,000 / 1,000${mode:+ (one tx)}" "" "" "$lin" "<= 1.5 (linear)" "$ok"
  done
  as=$(new_schema down_a)
  adir=$(alembic_project 5000 "$as")
  # Alembic's starting state: the 5,000 tables and its version table at the head (its own
  # upgrade of 5,000 takes minutes and is not what is measured).
  rdir=$(retort_project 5000 --whole-run)
  (cd "$rdir" && "$RETORT" -q --url "$(retort_url "$as")" upgrade head --sql) |
    PGOPTIONS="-c search_path=$as" psql "$URL" -qX -v ON_ERROR_STOP=1 >/dev/null
  alembic "$adir" stamp head >/dev/null 2>&1
  t0=$(now_ns)
  alembic "$adir" downgrade base >/dev/null 2>&1
  ta=$(($(now_ns) - t0))
  # The floor: psql running the statements of the same downgrade (one transaction, as
  # gen_chain's env.py gives Alembic) on the same 5,000 tables.
  ps=$(new_schema down_p)
  (cd "$rdir" && "$RETORT" -q --url "$(retort_url "$ps")" upgrade head --sql) |
    PGOPTIONS="-c search_path=$ps" psql "$URL" -qX -v ON_ERROR_STOP=1 >/dev/null
  (cd "$rdir" && "$RETORT" -q --url "$(retort_url "$ps")" downgrade r04999:base --sql) >"$WORK/downgrade_5000.sql"
  t0=$(now_ns)
  PGOPTIONS="-c search_path=$ps" psql "$URL" -qX -v ON_ERROR_STOP=1 -f "$WORK/downgrade_5000.sql" >/dev/null
  tp=$(($(now_ns) - t0))
  row "  (psql -f of the same downgrade SQL, one tx)" "$(secs "$tp")" "$(secs "$ta")" "$(ratio "$tp" "$ta")" "" ""
  for mode in "" --whole-run; do
    r=$(ratio "${per[${mode}5000]}" "$ta")
    speed=$(ratio "$ta" "${per[${mode}5000]}")
    ok=$(awk -v s="$speed" 'BEGIN { print (s >= 20) ? "yes" : "NO" }')
    [[ $ok == yes ]] || MISSED=1
    row "downgrade base, 5,000 vs Alembic${mode:+ (one tx)} (${speed}x)" "$(secs "${per[${mode}5000]}")" "$(secs "$ta")" "$r" "<= 0.05" "$ok"
  done
fi

if [[ -n $OUT ]]; then
  printf '%s\n' "${REPORT[@]}" >"$OUT"
fi
if ((MISSED)); then
  echo "run_migrate_bench: a target was missed" >&2
  exit 3
fi
