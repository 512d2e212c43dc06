# Paired-round comparisons for the benchmark scripts (sourced, not run).
#
# A comparison is R rounds; a round runs the anchor and retort once each (the side that goes
# first alternates), calling the caller's `reset_run` before every run (truncate the table, take
# a CHECKPOINT...). The figure is the median over the rounds of retort's rate / the anchor's rate
# in the same round: a paired figure, so the drift of a shared machine hits both sides alike.
#
# The caller sets REPEAT, and defines reset_run. Each side's command prints a rate on stdout
# (anything else goes to stderr). Rows collect in ROW_* arrays; report_rows prints them as a
# Markdown table and FAILED_TARGETS counts the targets missed.

ROW_NAMES=() ROW_RETORT=() ROW_ANCHOR=() ROW_RATIO=() ROW_SPREAD=() ROW_TARGET=() ROW_VERDICT=()
ROW_RUNS=()
FAILED_TARGETS=0

log() { printf '  %s\n' "$*" >&2; }

median() {
  printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# judge RATIO TARGET: sets VERDICT to "met" or "MISSED" (counted in FAILED_TARGETS), or to ""
# when TARGET is "-" (no target). Not in a subshell, so that the count survives.
judge() {
  local ratio=$1 target=$2
  VERDICT=
  [[ $target == - ]] && return 0
  if awk -v x="$ratio" -v y="$target" 'BEGIN { exit !(x >= y) }'; then
    VERDICT=met
  else
    FAILED_TARGETS=$((FAILED_TARGETS + 1))
    VERDICT=MISSED
  fi
}

# add_row NAME RETORT_RATE ANCHOR_RATE RATIO SPREAD TARGET VERDICT RUNS
add_row() {
  ROW_NAMES+=("$1") ROW_RETORT+=("$2") ROW_ANCHOR+=("$3") ROW_RATIO+=("$4") ROW_SPREAD+=("$5")
  ROW_TARGET+=("$6") ROW_VERDICT+=("$7") ROW_RUNS+=("$8")
}

# compare NAME TARGET "ANCHOR COMMAND" "RETORT COMMAND": R paired rounds (ratio retort/anchor;
# TARGET is the least acceptable ratio, or -).
compare() {
  local name=$1 target=$2 anchor_cmd=$3 retort_cmd=$4
  local anchor_rates=() retort_rates=() ratios=() r a t
  echo "== $name" >&2
  for ((r = 1; r <= REPEAT; r++)); do
    if ((r % 2)); then
      reset_run; a=$(eval "$anchor_cmd")
      reset_run; t=$(eval "$retort_cmd")
    else
      reset_run; t=$(eval "$retort_cmd")
      reset_run; a=$(eval "$anchor_cmd")
    fi
    anchor_rates+=("$a")
    retort_rates+=("$t")
    ratios+=("$(awk -v x="$t" -v y="$a" 'BEGIN { printf "%.3f\n", (y > 0 ? x / y : 0) }')")
  done
  local med_r med_a ratio spread
  med_r=$(median "${retort_rates[@]}")
  med_a=$(median "${anchor_rates[@]}")
  ratio=$(median "${ratios[@]}")
  spread="$(printf '%s\n' "${ratios[@]}" | sort -g | head -n1)–$(printf '%s\n' "${ratios[@]}" | sort -g | tail -n1)"
  judge "$ratio" "$target"
  add_row "$name" "$med_r" "$med_a" "$ratio" "$spread" "$target" "$VERDICT" \
    "retort $(IFS=/; echo "${retort_rates[*]}"); anchor $(IFS=/; echo "${anchor_rates[*]}"); ratios $(IFS=/; echo "${ratios[*]}")"
  echo "   median ratio $ratio (rounds: $spread); median rates: retort $med_r, anchor $med_a" >&2
}

# report_rows UNIT: the rows as a Markdown table, then every round's figures.
report_rows() {
  local unit=$1 i target
  echo "| what | retort $unit | anchor $unit | ratio (retort/anchor) | rounds' ratios | target |"
  echo "|---|---:|---:|---:|---|---|"
  for i in "${!ROW_NAMES[@]}"; do
    target='—'
    [[ ${ROW_TARGET[$i]} != - ]] && target="≥ ${ROW_TARGET[$i]} (${ROW_VERDICT[$i]})"
    printf '| %s | %.0f | %.0f | %s | %s | %s |\n' "${ROW_NAMES[$i]}" "${ROW_RETORT[$i]}" \
      "${ROW_ANCHOR[$i]}" "${ROW_RATIO[$i]}" "${ROW_SPREAD[$i]}" "$target"
  done
  echo
  echo "Rates are medians over the rounds. Every round ($unit):"
  for i in "${!ROW_NAMES[@]}"; do
    echo "- ${ROW_NAMES[$i]}: ${ROW_RUNS[$i]}"
  done
}

# machine_line: cores, CPU, RAM, kernel.
machine_line() {
  local cpu
  cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo 2>/dev/null | head -n1)
  echo "Machine: $(nproc) cores (${cpu:-unknown CPU}), $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo) RAM, $(uname -sr)"
}

# pgbench_rate URL SCRIPT ROWS_PER_TRANSACTION CLIENTS SECONDS [pgbench args...]: rows/s, after
# checking that the table (the caller's table_count) holds exactly the rows pgbench reported.
pgbench_rate() {
  local url=$1 script=$2 per_txn=$3 clients=$4 seconds=$5 jobs=1 out
  shift 5
  ((clients > 1)) && jobs=2
  if ! out=$("$PGBENCH" -n -M prepared -c "$clients" -j "$jobs" -T "$seconds" -f "$script" "$@" \
    "$url" 2>&1); then
    echo "pgbench failed:" >&2
    echo "$out" >&2
    return 1
  fi
  local tps processed
  tps=$(sed -n 's/^tps = \([0-9.]*\) (without initial connection time)/\1/p' <<<"$out")
  processed=$(sed -n 's/^number of transactions actually processed: \([0-9]*\).*/\1/p' <<<"$out")
  [[ -n $tps && -n $processed ]] || { echo "cannot read pgbench's output:" >&2; echo "$out" >&2; return 1; }
  local count
  count=$(table_count)
  if ((count != processed * per_txn)); then
    echo "pgbench processed $processed x $per_txn rows, the table holds $count" >&2
    return 1
  fi
  local rate
  rate=$(awk -v t="$tps" -v k="$per_txn" 'BEGIN { printf "%.1f\n", t * k }')
  log "anchor  pgbench $(basename "$script") -c $clients: $((processed * per_txn)) rows, $rate rows/s"
  echo "$rate"
}

# psql_copy_rate URL TABLE(COLUMNS) FILE ROWS: rows/s of psql \copy, from psql's \timing of the
# COPY alone (without psql's start-up and connection), after checking the row count.
psql_copy_rate() {
  local url=$1 target=$2 file=$3 rows=$4 out ms
  out=$("$PSQL" -X -v ON_ERROR_STOP=1 -d "$url" -c '\timing on' \
    -c "\\copy $target from '$file'" 2>&1) || {
    echo "psql \\copy failed:" >&2
    echo "$out" >&2
    return 1
  }
  ms=$(sed -n 's/^Time: \([0-9.]*\) ms.*/\1/p' <<<"$out" | tail -n1)
  [[ -n $ms ]] || { echo "no timing from psql:" >&2; echo "$out" >&2; return 1; }
  local count
  count=$(table_count)
  ((count == rows)) || { echo "psql \\copy stored $count rows, expected $rows" >&2; return 1; }
  local rate
  rate=$(awk -v n="$rows" -v ms="$ms" 'BEGIN { printf "%.1f\n", n / (ms / 1000) }')
  log "anchor  psql \\copy: $rows rows in $ms ms, $rate rows/s"
  echo "$rate"
}

# result_rate OUTPUT: the rate= of a benchmark executable's RESULT line (logged).
result_rate() {
  local line
  line=$(grep '^RESULT ' <<<"$1" | tail -n1)
  [[ -n $line ]] || { echo "no RESULT line:" >&2; echo "$1" >&2; return 1; }
  log "retort  ${line#RESULT }"
  sed -n 's/.* rate=\([0-9.]*\).*/\1/p' <<<"$line"
}
