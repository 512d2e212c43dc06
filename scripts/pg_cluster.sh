#!/usr/bin/env bash
# A throwaway PostgreSQL 15 cluster for tests and benchmarks.
#
# Sourced by ./dev (functions pg_cluster_start / pg_cluster_stop), or run directly:
#
#   eval "$(scripts/pg_cluster.sh start [--durable] [--no-replica] [--owner $$])"   # exports
#   ...                                                 # RETORT_TEST_PG_URL etc. are set
#   scripts/pg_cluster.sh stop "$RETORT_TEST_PG_DIR"
#   scripts/pg_cluster.sh reap                          # removes clusters whose owner died
#
# The cluster lives in a fresh /tmp/retort-pg.XXXXXX directory (data/, the server log, the unix
# socket). It listens on 127.0.0.1 at a free port; TCP logins use scram-sha-256 with a random
# password that holds URL-special characters (: @ % /) so every run exercises percent-encoding in
# RETORT_TEST_PG_URL. initdb refuses to run as root, so as root the server runs as `postgres`.
#
# Exports: RETORT_TEST_PG_URL (postgresql://postgres:<percent-encoded password>@127.0.0.1:PORT/postgres),
# RETORT_TEST_PG_BINDIR, RETORT_TEST_PG_SOCKET_DIR, RETORT_TEST_PG_HOST, RETORT_TEST_PG_PORT,
# RETORT_TEST_PG_USER, RETORT_TEST_PG_PASSWORD, RETORT_TEST_PG_DIR; and for the streaming replica
# RETORT_TEST_PG_REPLICA_URL and RETORT_TEST_PG_REPLICA_PORT.
#
# The replica: after the primary is up, pg_basebackup -R copies it into DIR/replica, which starts
# as a hot standby streaming from the primary on a port of its own (docs/replicas.md). It lives
# and dies with the primary: stopping the cluster stops the replica first, and a replica that
# does not start fails the whole start (both are stopped and removed). --no-replica skips it.
#
# Durability: by default (the test cluster) fsync, synchronous_commit and full_page_writes are off
# to keep the suite fast. --durable keeps PostgreSQL's defaults (benchmarks compare against
# pgbench on the same server, so both must pay for the same commits).

PG_CLUSTER_BINDIR=${RETORT_PG_BINDIR:-/usr/lib/postgresql/15/bin}
PG_CLUSTER_PREFIX=/tmp/retort-pg.

# _pgc_as_owner LOG COMMAND...: runs COMMAND as the user that owns the cluster (postgres when we
# are root), its output appended to LOG. The redirection is on the external command, not on a
# function call: a function call's redirection applies to this shell itself, so a trap running
# when the command ends (Ctrl-C during initdb) would print into the log instead of the terminal.
_pgc_as_owner() {
  local log=$1
  shift
  # From /: postgres may not be allowed into our working directory (a clone under /root).
  if [[ $EUID -eq 0 ]]; then
    (cd / && exec runuser -u postgres -- "$@" >>"$log" 2>&1)
  else
    (cd / && exec "$@" >>"$log" 2>&1)
  fi
}

# Percent-encodes every byte outside RFC 3986's unreserved set.
_pgc_urlencode() {
  local s=$1 out='' c i
  local LC_ALL=C
  for ((i = 0; i < ${#s}; i++)); do
    c=${s:i:1}
    case $c in
      [A-Za-z0-9._~-]) out+=$c ;;
      *) printf -v c '%%%02X' "'$c"; out+=$c ;;
    esac
  done
  printf '%s' "$out"
}

# A TCP port on 127.0.0.1 that nothing listens on: a random one below the ephemeral range (so
# outgoing connections never hold it), probed with bash's /dev/tcp. Starting can still race with
# another process; pg_cluster_start retries with another port when the bind fails.
_pgc_free_port() {
  local port tries
  for ((tries = 0; tries < 200; tries++)); do
    port=$((20000 + (RANDOM * 32768 + RANDOM) % 12000))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
      echo "$port"
      return 0
    fi
  done
  echo "pg_cluster: no free TCP port found" >&2
  return 1
}

_pgc_random_hex() {
  od -An -N"$1" -tx1 /dev/urandom | tr -d ' \n'
}

# Stops the server of the data directory DATA (fast, then immediate, then SIGKILL).
_pgc_stop_server() {
  local data=$1
  [[ -f $data/postmaster.pid ]] || return 0
  if ! _pgc_as_owner /dev/null "$PG_CLUSTER_BINDIR/pg_ctl" -D "$data" stop -m fast -w -t 20; then
    _pgc_as_owner /dev/null "$PG_CLUSTER_BINDIR/pg_ctl" -D "$data" stop -m immediate -w -t 10 || true
  fi
  # Last resort: the postmaster's pid is the first line of postmaster.pid.
  local pid
  pid=$(head -n1 "$data/postmaster.pid" 2>/dev/null || true)
  if [[ $pid =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null; then
    kill -KILL "$pid" 2>/dev/null || true
    sleep 0.5
  fi
}

# Stops the servers of DIR (the replica first: it would otherwise keep retrying its primary)
# and removes DIR.
_pgc_stop_dir() {
  local dir=$1
  [[ -n $dir && $dir == "$PG_CLUSTER_PREFIX"* && -d $dir ]] || return 0
  _pgc_stop_server "$dir/replica"
  _pgc_stop_server "$dir/data"
  rm -rf "$dir"
}

# Stops and removes clusters left by a run that died without cleaning up (kill -9, power loss):
# those whose owner process (recorded in DIR/owner.pid) is gone.
pg_cluster_reap() {
  local dir owner
  for dir in "$PG_CLUSTER_PREFIX"*; do
    [[ -d $dir ]] || continue
    owner=$(cat "$dir/owner.pid" 2>/dev/null || true)
    if [[ $owner == manual ]] || { [[ $owner =~ ^[0-9]+$ ]] && kill -0 "$owner" 2>/dev/null; }; then
      continue
    fi
    # A directory younger than a minute without owner.pid may be a cluster being created.
    if [[ -z $owner ]] && [[ -n $(find "$dir" -maxdepth 0 -mmin -1 2>/dev/null) ]]; then
      continue
    fi
    echo "pg_cluster: removing stale cluster $dir (owner ${owner:-unknown} is gone)" >&2
    _pgc_stop_dir "$dir"
  done
}

# _pgc_start_server DATA LOG OPTS: pg_ctl start on a free port (retrying another one when the
# port was taken meanwhile); prints the port. Returns non-zero when the server does not start.
_pgc_start_server() {
  local data=$1 log=$2 opts=$3 port attempt
  for ((attempt = 1; attempt <= 5; attempt++)); do
    port=$(_pgc_free_port) || return 1
    if _pgc_as_owner "$log.pg_ctl" "$PG_CLUSTER_BINDIR/pg_ctl" -D "$data" -l "$log" -w \
      -t 60 -o "$opts -c port=$port" start; then
      echo "$port"
      return 0
    fi
    # Lost a race for the port: try another one; any other failure is final.
    if ! grep -q -i -e 'could not bind' -e 'address already in use' -e 'could not create any TCP/IP sockets' \
      "$log" 2>/dev/null; then
      return 1
    fi
    _pgc_as_owner /dev/null "$PG_CLUSTER_BINDIR/pg_ctl" -D "$data" stop -m immediate || true
  done
  return 1
}

# libpq password file line escaping: '\' and ':' take a backslash.
_pgc_pgpass_escape() {
  local s=${1//\\/\\\\}
  printf '%s' "${s//:/\\:}"
}

# _pgc_start_replica DIR PRIMARY_PORT PASSWORD OPTS: a hot standby in DIR/replica, streaming from
# the primary (pg_basebackup -R writes primary_conninfo; the password reaches pg_basebackup
# through a password file, never a command line). Prints its port.
_pgc_start_replica() {
  local dir=$1 primary_port=$2 password=$3 opts=$4
  local passfile=$dir/pgpass
  (umask 077 && printf '127.0.0.1:%s:*:postgres:%s\n' "$primary_port" \
    "$(_pgc_pgpass_escape "$password")" >"$passfile")
  [[ $EUID -eq 0 ]] && chown postgres: "$passfile"
  if ! _pgc_as_owner "$dir/basebackup.log" env PGPASSFILE="$passfile" \
    "$PG_CLUSTER_BINDIR/pg_basebackup" -D "$dir/replica" -h 127.0.0.1 -p "$primary_port" \
    -U postgres -X stream -R -c fast --no-sync; then
    cat "$dir/basebackup.log" >>"$dir/replica.log" 2>/dev/null
    return 1
  fi
  _pgc_start_server "$dir/replica" "$dir/replica.log" "$opts -c hot_standby=on"
}

# pg_cluster_start [--durable] [--no-replica] [--owner PID|manual]
# Starts a cluster and exports the RETORT_TEST_PG_* variables. The owner (default: this shell) is
# the process whose death makes the cluster stale; "manual" clusters are only removed by stop.
# Returns non-zero (after printing the log tail, and keeping a copy of the log) if the server
# does not start.
pg_cluster_start() {
  local durable=0 replica=1 owner=$$
  while (($#)); do
    case $1 in
      --durable) durable=1 ;;
      --no-replica) replica=0 ;;
      --owner) owner=$2; shift ;;
      *) echo "pg_cluster_start: unknown option $1" >&2; return 2 ;;
    esac
    shift
  done
  local bindir=$PG_CLUSTER_BINDIR
  if [[ ! -x $bindir/initdb || ! -x $bindir/pg_ctl ]]; then
    echo "pg_cluster: PostgreSQL 15 server binaries not found in $bindir (./dev deps --test installs them)" >&2
    return 1
  fi
  if [[ $EUID -eq 0 ]] && ! id postgres >/dev/null 2>&1; then
    echo "pg_cluster: running as root needs the 'postgres' user (created by the postgresql-15 package)" >&2
    return 1
  fi

  pg_cluster_reap

  local dir
  dir=$(mktemp -d "${PG_CLUSTER_PREFIX}XXXXXX") || return 1
  echo "$owner" >"$dir/owner.pid"
  chmod 755 "$dir"
  [[ $EUID -eq 0 ]] && chown postgres: "$dir"
  PG_CLUSTER_DIR=$dir

  # A password with characters that must be percent-encoded in a URL.
  local password
  password="rt:$(_pgc_random_hex 6)@%/$(_pgc_random_hex 6)"
  (umask 077 && printf '%s\n' "$password" >"$dir/pwfile")
  [[ $EUID -eq 0 ]] && chown postgres: "$dir/pwfile"

  if ! _pgc_as_owner "$dir/initdb.log" "$bindir/initdb" -D "$dir/data" -U postgres -E UTF8 \
    --locale=C.UTF-8 --auth-local=trust --auth-host=scram-sha-256 --pwfile="$dir/pwfile"; then
    rm -f "$dir/pwfile"
    _pgc_report_failure "$dir" "$dir/initdb.log" "initdb failed"
    return 1
  fi
  rm -f "$dir/pwfile"

  local opts="-c listen_addresses=127.0.0.1 -c unix_socket_directories=$dir -c max_connections=200 -c max_locks_per_transaction=256"
  if ((!durable)); then
    opts+=" -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
  fi

  local port
  if ! port=$(_pgc_start_server "$dir/data" "$dir/postgres.log" "$opts"); then
    _pgc_report_failure "$dir" "$dir/postgres.log" "the server did not start" "$dir/postgres.log.pg_ctl"
    return 1
  fi
  local replica_port=
  if ((replica)) && ! replica_port=$(_pgc_start_replica "$dir" "$port" "$password" "$opts"); then
    _pgc_report_failure "$dir" "$dir/replica.log" "the streaming replica did not start" \
      "$dir/replica.log.pg_ctl"
    return 1
  fi

  export RETORT_TEST_PG_DIR=$dir
  export RETORT_TEST_PG_BINDIR=$bindir
  export RETORT_TEST_PG_SOCKET_DIR=$dir
  export RETORT_TEST_PG_HOST=127.0.0.1
  export RETORT_TEST_PG_PORT=$port
  export RETORT_TEST_PG_USER=postgres
  export RETORT_TEST_PG_PASSWORD=$password
  local encoded
  encoded=$(_pgc_urlencode "$password")
  export RETORT_TEST_PG_URL="postgresql://postgres:$encoded@127.0.0.1:$port/postgres"
  unset RETORT_TEST_PG_REPLICA_URL RETORT_TEST_PG_REPLICA_PORT
  if [[ -n $replica_port ]]; then
    export RETORT_TEST_PG_REPLICA_PORT=$replica_port
    export RETORT_TEST_PG_REPLICA_URL="postgresql://postgres:$encoded@127.0.0.1:$replica_port/postgres"
  fi
  local what="fsync off (test settings)"
  ((durable)) && what="durable: fsync on, synchronous_commit on"
  echo "pg_cluster: PostgreSQL 15 on 127.0.0.1:$port, $what; data and log in $dir" >&2
  [[ -n $replica_port ]] &&
    echo "pg_cluster: streaming replica (hot standby) on 127.0.0.1:$replica_port" >&2
  return 0
}

# Prints why startup failed with the log tail, keeps a copy of the log (the directory is removed).
_pgc_report_failure() {
  local dir=$1 log=$2 why=$3 extra=${4:-}
  local kept
  kept=$(mktemp /tmp/retort-pg-failed.XXXXXX.log)
  { [[ -n $extra && -f $extra ]] && cat "$extra"; [[ -f $log ]] && cat "$log"; } >"$kept" 2>/dev/null || true
  {
    echo "pg_cluster: $why. Log: $kept (last lines below)"
    tail -n 30 "$kept" | sed 's/^/  | /'
  } >&2
  _pgc_stop_dir "$dir"
  PG_CLUSTER_DIR=
}

# pg_cluster_stop [DIR]: stops the cluster (the one this shell started by default) and removes
# its directory. Safe to call twice.
pg_cluster_stop() {
  local dir=${1:-${PG_CLUSTER_DIR:-}}
  [[ -n $dir ]] || return 0
  _pgc_stop_dir "$dir"
  if [[ $dir == "${PG_CLUSTER_DIR:-}" ]]; then
    PG_CLUSTER_DIR=
  fi
  return 0
}

# Run directly: start prints `export` lines for eval; stop DIR; reap.
if [[ ${BASH_SOURCE[0]} == "$0" ]]; then
  set -euo pipefail
  case ${1:-} in
    start)
      shift
      # Nobody to watch from here (we run in the caller's command substitution): the cluster
      # lives until `stop DIR`, unless the caller passes --owner PID (e.g. --owner $$).
      pg_cluster_start --owner manual "$@" >/dev/null
      for var in RETORT_TEST_PG_URL RETORT_TEST_PG_BINDIR RETORT_TEST_PG_SOCKET_DIR RETORT_TEST_PG_HOST \
        RETORT_TEST_PG_PORT RETORT_TEST_PG_USER RETORT_TEST_PG_PASSWORD RETORT_TEST_PG_DIR \
        RETORT_TEST_PG_REPLICA_URL RETORT_TEST_PG_REPLICA_PORT; do
        [[ -n ${!var:-} ]] && printf 'export %s=%q\n' "$var" "${!var}"
      done
      ;;
    stop)
      [[ -n ${2:-} ]] || { echo "usage: $0 stop DIR" >&2; exit 2; }
      pg_cluster_stop "$2"
      ;;
    reap) pg_cluster_reap ;;
    *)
      echo "usage: $0 start [--durable] [--no-replica] [--owner PID] | stop DIR | reap" >&2
      exit 2
      ;;
  esac
fi
