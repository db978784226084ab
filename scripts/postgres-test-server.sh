#!/usr/bin/env bash
# postgres-test-server.sh start|stop|down|up DIR
#
# A throw-away PostgreSQL 15 for tests. `start DIR` creates a fresh cluster under
# DIR/pg (data, log), listening on 127.0.0.1 only, on a free TCP port, trust auth on
# loopback, fsync on (the defaults: durability is what the store tests measure). It
# waits until the server accepts connections and prints its URL as the last line of
# stdout:
#     postgresql://postgres@127.0.0.1:PORT/postgres
# `stop DIR` stops that server (pg_ctl stop -m fast) and removes its data.
# `down DIR` stops it and keeps its data; `up DIR` starts it again on the same port
# (an outage of the store, for tests).
#
# Runs as root (the server runs as the `postgres` OS user, via runuser) or as any
# other user (the server runs as that user). Several instances in different DIRs can
# run at once. The system's own cluster (/var/lib/postgresql) is never touched: no
# pg_ctlcluster, no Unix socket in /var/run/postgresql (Unix sockets are disabled).
#
# Environment: PG_BINDIR (default /usr/lib/postgresql/15/bin).
set -euo pipefail

PG_BINDIR="${PG_BINDIR:-/usr/lib/postgresql/15/bin}"

die() {
  echo "postgres-test-server: $*" >&2
  exit 1
}

usage() {
  echo "usage: $0 start|stop|down|up DIR" >&2
  exit 2
}

[[ $# -eq 2 ]] || usage
action="$1"
dir="$2"

# The server's OS user: postgres when we are root (initdb and postgres refuse to run
# as root), otherwise ourselves.
if [[ "$(id -u)" -eq 0 ]]; then
  pg_user=postgres
  id -u "$pg_user" >/dev/null 2>&1 || die "OS user '$pg_user' does not exist (is postgresql-15 installed?)"
else
  pg_user="$(id -un)"
fi

# Runs a command as the server's OS user, from / so that an unreadable current
# directory (e.g. /root) does not produce warnings.
as_pg() {
  if [[ "$(id -u)" -eq 0 ]]; then
    (cd / && runuser -u "$pg_user" -- "$@")
  else
    (cd / && "$@")
  fi
}

# A TCP port nobody listens on right now. Another process may still take it before
# the server binds it; start() retries with another port when that happens.
pick_port() {
  local port
  for _ in $(seq 1 200); do
    port=$((20000 + (RANDOM * 32768 + RANDOM) % 40000))
    if command -v ss >/dev/null 2>&1; then
      ss -Htln "sport = :$port" | grep -q . && continue
    elif (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
      continue  # something accepted a connection there
    fi
    echo "$port"
    return 0
  done
  die "no free TCP port found in 20000-59999"
}

# Where the cluster lives. Normally DIR/pg; when the postgres user cannot reach DIR
# (e.g. DIR is inside root's 0700 home), a directory under ${TMPDIR:-/tmp} instead,
# recorded in DIR/pg.location so that `stop` finds it.
cluster_dir_for_start() {
  mkdir -p "$dir"
  dir="$(cd "$dir" && pwd)"
  [[ -e "$dir/pg" || -e "$dir/pg.location" ]] &&
    die "$dir already holds a test server (run '$0 stop $dir' first)"
  local base="$dir/pg"
  mkdir "$base"
  if [[ "$(id -u)" -eq 0 ]]; then
    chmod a+x "$dir"  # postgres must traverse DIR to reach DIR/pg
    chown "$pg_user": "$base"
    if ! as_pg test -w "$base"; then
      rmdir "$base"
      base="$(mktemp -d "${TMPDIR:-/tmp}/drover-pg.XXXXXX")"
      chmod 0755 "$base"
      chown "$pg_user": "$base"
      as_pg test -w "$base" || die "user $pg_user cannot write $base either"
      echo "$base" >"$dir/pg.location"
      echo "postgres-test-server: $pg_user cannot reach $dir; cluster placed in $base" >&2
    fi
  fi
  echo "$base"
}

cluster_dir_for_stop() {
  dir="$(cd "$dir" 2>/dev/null && pwd)" || die "no such directory: $2"
  if [[ -f "$dir/pg.location" ]]; then
    cat "$dir/pg.location"
  else
    echo "$dir/pg"
  fi
}

start() {
  [[ -x "$PG_BINDIR/initdb" ]] || die "PostgreSQL binaries not found in $PG_BINDIR"
  local base data log port
  base="$(cluster_dir_for_start)"
  data="$base/data"
  log="$base/server.log"

  # --no-sync: initdb's own final flush only; the server keeps fsync=on.
  as_pg "$PG_BINDIR/initdb" -D "$data" -U postgres --auth=trust --encoding=UTF8 \
    --no-locale --no-sync >"$base/initdb.log" 2>&1 ||
    die "initdb failed, see $base/initdb.log"

  for attempt in 1 2 3 4 5; do
    port="$(pick_port)"
    {
      echo "# postgres-test-server.sh"
      echo "listen_addresses = '127.0.0.1'"
      echo "port = $port"
      echo "unix_socket_directories = ''"
      echo "fsync = on"
      echo "synchronous_commit = on"
      echo "max_connections = 50"
      echo "shared_buffers = 64MB"
    } | as_pg tee "$data/postgresql.auto.conf" >/dev/null
    if as_pg "$PG_BINDIR/pg_ctl" -D "$data" -l "$log" -w -t 60 start >/dev/null 2>&1; then
      break
    fi
    if grep -q "could not bind\|could not create any TCP/IP sockets" "$log" 2>/dev/null &&
      [[ $attempt -lt 5 ]]; then
      echo "postgres-test-server: port $port taken, retrying" >&2
      continue
    fi
    tail -n 20 "$log" >&2 || true
    die "server did not start, see $log"
  done

  for _ in $(seq 1 300); do
    if "$PG_BINDIR/pg_isready" -q -h 127.0.0.1 -p "$port" -U postgres -d postgres; then
      echo "postgresql://postgres@127.0.0.1:$port/postgres"
      return 0
    fi
    sleep 0.1
  done
  die "server on port $port does not accept connections, see $log"
}

stop() {
  local base data
  base="$(cluster_dir_for_stop "$@")"
  data="$base/data"
  if [[ -f "$data/postmaster.pid" ]]; then
    if ! as_pg "$PG_BINDIR/pg_ctl" -D "$data" -m fast -w -t 60 stop >/dev/null; then
      # A stale pid file (server already gone) is fine; a live server is not.
      as_pg "$PG_BINDIR/pg_ctl" -D "$data" status >/dev/null 2>&1 &&
        die "pg_ctl stop failed for $data; data left in place"
    fi
  fi
  rm -rf "$base"
  rm -f "$dir/pg.location"
}

# The server's pg_ctl on its data, kept in place.
pg_ctl_keep() {
  local base
  base="$(cluster_dir_for_stop "$dir")"
  as_pg "$PG_BINDIR/pg_ctl" -D "$base/data" -l "$base/server.log" -m fast -w -t 60 "$1" >/dev/null
}

case "$action" in
  start) start ;;
  stop) stop "$dir" ;;
  down) pg_ctl_keep stop ;;
  up) pg_ctl_keep start ;;
  *) usage ;;
esac
