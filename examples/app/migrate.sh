#!/usr/bin/env bash
# The seed's migrate.sh: shows the database's revision, applies the pending revisions, shows the
# revision again.
#
#   ./migrate.sh                                  # the database of retort.toml / the environment
#   ./migrate.sh --url postgresql://app@db/app    # any global option of the tool
#
# APP_MIGRATE names the migration tool (default: ./build/app_migrate).
set -euo pipefail

here=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
tool=${APP_MIGRATE:-$here/build/app_migrate}

echo "== current"
"$tool" "$@" current
echo "== upgrade head"
"$tool" "$@" upgrade head
echo "== current"
"$tool" "$@" current
