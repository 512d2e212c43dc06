#!/usr/bin/env bash
# Runs clang-tidy's agreed checks (.clang-tidy) on the C++ sources a change touches, with the
# test build's compile_commands.json. Exit 1 on any finding, 2 on a usage or setup error.
#
#   tools/tidy_changed.sh BUILD_DIR [BASE | --all]
#
# BASE (default: RETORT_TIDY_BASE, else HEAD~10: the last ten commits along the first parent, so
# a merge counts as one and everything its branch brought is checked): the files that differ
# between BASE and the working tree. A changed header is checked through the .cpp of the same name beside it, when there is
# one. --all checks every source file (several minutes on two cores).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:?usage: tools/tidy_changed.sh BUILD_DIR [BASE | --all]}
base=${2:-${RETORT_TIDY_BASE:-HEAD~10}}
tidy=$(command -v clang-tidy-14 || command -v clang-tidy || true)
[[ -n $tidy ]] || { echo "tidy: clang-tidy is not installed (./dev test installs it)" >&2; exit 2; }
[[ -f $build/compile_commands.json ]] || {
  echo "tidy: $build/compile_commands.json is missing: configure the build first" >&2
  exit 2
}
cd "$root"

files=()
if [[ $base == --all ]]; then
  mapfile -t files < <(find src -name '*.cpp' | sort)
else
  git rev-parse --verify --quiet "$base^{commit}" >/dev/null || {
    echo "tidy: '$base' is not a commit of this repository (a shallow clone?); checking every file" >&2
    mapfile -t files < <(find src -name '*.cpp' | sort)
  }
  if ((${#files[@]} == 0)); then
    declare -A wanted=()
    while IFS= read -r path; do
      case $path in
        src/*.cpp) wanted[$path]=1 ;;
        src/*.hpp) [[ -f ${path%.hpp}.cpp ]] && wanted[${path%.hpp}.cpp]=1 ;;
      esac
    done < <(git diff --name-only --diff-filter=AMR "$base" -- src; git ls-files --others --exclude-standard -- src)
    mapfile -t files < <(printf '%s\n' "${!wanted[@]}" | grep . | sort || true)
  fi
fi
# Only files the build compiles (the fuzz build's exclusions, platform files) can be checked.
known=()
for f in "${files[@]}"; do
  grep -q "\"file\": \"[^\"]*/$f\"" "$build/compile_commands.json" && known+=("$f")
done
if ((${#known[@]} == 0)); then
  echo "tidy: no changed source file to check (base $base)"
  exit 0
fi
echo "tidy: ${#known[@]} file(s) against .clang-tidy (base $base)"
log=$(mktemp)
trap 'rm -f "$log"' EXIT
rc=0
# clang-tidy parses with clang 14 what g++ builds: clang 14 has no std::source_location in
# libstdc++ 12 (the fuzz build's stand-in fills it) and Asio 1.22 does not see its co_await.
compat=(--extra-arg=-include --extra-arg="$root/tests/fuzz/source_location_compat.hpp"
  --extra-arg=-DASIO_HAS_CO_AWAIT=1)
printf '%s\n' "${known[@]}" |
  xargs -P "${RETORT_TIDY_JOBS:-2}" -I{} "$tidy" -p "$build" --quiet "${compat[@]}" {} \
    >"$log" 2>/dev/null || rc=$?
if ((rc != 0)) || grep -qE '(warning|error): ' "$log"; then
  grep -E '(warning|error): ' -A3 "$log" || cat "$log"
  echo "tidy: findings above (fix them, or NOLINT(check) with a reason)" >&2
  exit 1
fi
echo "tidy: nothing found"
