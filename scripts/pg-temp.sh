#!/usr/bin/env bash
# Start or stop a throw-away PostgreSQL + PostGIS server in a temp directory.
#   eval "$(bash scripts/pg-temp.sh start)"   -> exports LANDUSE_TEST_DATABASE_URL, PGTEMP_DIR
#   bash scripts/pg-temp.sh stop "$PGTEMP_DIR"
set -euo pipefail
cmd=${1:-start}
PGBIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
[ -n "$PGBIN" ] || { echo "PostgreSQL server binaries not found: run 'make system'" >&2; exit 1; }
run_as_pg() { if [ "$(id -u)" = "0" ]; then runuser -u postgres -- "$@"; else "$@"; fi; }

if [ "$cmd" = "start" ]; then
  port=${PGTEMP_PORT:-$(python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])')}
  dir=$(mktemp -d /tmp/landuse-pg.XXXXXX)
  [ "$(id -u)" = "0" ] && chown postgres "$dir"
  run_as_pg "$PGBIN/initdb" -D "$dir/data" -U postgres -A trust -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 \
    || { cat "$dir/initdb.log" >&2; exit 1; }
  run_as_pg "$PGBIN/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w \
    -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200" start >/dev/null \
    || { cat "$dir/server.log" >&2; exit 1; }
  "$PGBIN/psql" -h 127.0.0.1 -p "$port" -U postgres -qc "CREATE DATABASE landuse_test" >/dev/null
  "$PGBIN/psql" -h 127.0.0.1 -p "$port" -U postgres -d landuse_test -qc "CREATE EXTENSION postgis" >/dev/null
  echo "export PGTEMP_DIR=$dir"
  echo "export LANDUSE_TEST_DATABASE_URL=postgresql://postgres@127.0.0.1:$port/landuse_test"
elif [ "$cmd" = "stop" ]; then
  dir=${2:?usage: pg-temp.sh stop DIR}
  run_as_pg "$PGBIN/pg_ctl" -D "$dir/data" -m fast stop >/dev/null 2>&1 || true
  rm -rf "$dir"
fi
