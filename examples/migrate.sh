#!/usr/bin/env bash
# Brings the database to the newest revision, saying where it was and where it is:
#
#   examples/migrate.sh                                   # ./retort.toml, or retort's built-in migrations
#   examples/migrate.sh --url postgresql://app@db/app     # any global retort option
#
# RETORT names the binary (default: retort on PATH, else this checkout's build/retort).
set -euo pipefail

here=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
RETORT=${RETORT:-$(command -v retort || echo "$here/../build/retort")}

echo "== current"
"$RETORT" "$@" current
echo "== upgrade head"
"$RETORT" "$@" upgrade head
echo "== current"
"$RETORT" "$@" current
