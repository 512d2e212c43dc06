#!/usr/bin/env bash
# The seed's makemigration.sh: compares the models with the database, writes the difference as
# a new revision and adds it to version control.
#
#   ./makemigration.sh add_custom_model
#
# APP_MIGRATE names the migration tool (default: ./build/app_migrate); global options (--url,
# -c FILE) go in MIGRATE_OPTS.
set -euo pipefail

if (($# != 1)); then
  echo "usage: $0 MESSAGE" >&2
  exit 2
fi
here=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
tool=${APP_MIGRATE:-$here/build/app_migrate}

# shellcheck disable=SC2086 # MIGRATE_OPTS is a list of options
out=$("$tool" ${MIGRATE_OPTS:-} revision --autogenerate -m "$1")
echo "$out"
mapfile -t paths < <(sed -n 's/^Generating \(.*\) \.\.\.  done$/\1/p' <<<"$out")
if ((${#paths[@]} == 0)); then
  echo "makemigration: the models and the database agree; no revision written"
  exit 0
fi
if git -C "$here" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  git -C "$here" add -- "${paths[@]}"
  echo "staged ${paths[*]}: review it, then commit"
else
  echo "review ${paths[*]}, then add it to version control"
fi
