#!/usr/bin/env bash
# Creates a new revision file and stages it in git.
#
#   examples/makemigration.sh "add accounts table"                 # on top of the single head
#   examples/makemigration.sh "hotfix" --head 3f2a --splice        # any `retort revision` option
#
# Global retort options (--url, -c FILE) go in RETORT_OPTS; RETORT names the binary (default: retort
# on PATH, else this checkout's build/retort).
set -euo pipefail

if (($# < 1)); then
  echo "usage: $0 MESSAGE [retort revision options...]" >&2
  exit 2
fi
here=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
RETORT=${RETORT:-$(command -v retort || echo "$here/../build/retort")}
message=$1
shift

# shellcheck disable=SC2086 # RETORT_OPTS is a list of options
out=$("$RETORT" ${RETORT_OPTS:-} revision -m "$message" "$@")
echo "$out"
path=$(sed -n 's/^Generating \(.*\) \.\.\.  done$/\1/p' <<<"$out")
if [[ -z $path ]]; then
  echo "makemigration: retort generated no file" >&2
  exit 1
fi
git add -- "$path"
echo "staged $path (edit its -- +upgrade and -- +downgrade sections, then commit)"
