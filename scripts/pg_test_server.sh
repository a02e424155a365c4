#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for the tests (recipe proven in ../shared/STACK.md).
#   scripts/pg_test_server.sh ensure              install Debian's PostgreSQL if missing (root)
#   scripts/pg_test_server.sh start DIR PORT      initdb + start on 127.0.0.1:PORT, create vrkit_test
#   scripts/pg_test_server.sh stop DIR            stop and remove DIR
# PostgreSQL refuses to run as root, so initdb and pg_ctl run as the postgres user; DIR is made
# reachable by that user. The URL is postgresql+psycopg://postgres@127.0.0.1:PORT/vrkit_test.
set -euo pipefail
pgbin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1; }
CMD=${1:?usage: pg_test_server.sh ensure|start DIR PORT|stop DIR}
case "$CMD" in
ensure)
  if [ -z "$(pgbin)" ] || ! id postgres >/dev/null 2>&1; then
    echo "installing PostgreSQL (Debian) for the tests…" >&2
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends postgresql >/dev/null
  fi;;
start)
  BASE=${2:?DIR}; PORT=${3:?PORT}
  PGBIN=$(pgbin)
  [ -n "$PGBIN" ] || { echo "PostgreSQL is not installed: run scripts/pg_test_server.sh ensure" >&2; exit 1; }
  mkdir -p "$BASE"; chmod 755 "$BASE"
  if [ "$(id -u)" = 0 ]; then
    chown postgres:postgres "$BASE"; AS=(runuser -u postgres --)
  else
    AS=()
  fi
  "${AS[@]}" "$PGBIN/initdb" -D "$BASE/data" -A trust -U postgres -E UTF8 --locale=C.UTF-8 --no-sync >"$BASE/initdb.log"
  "${AS[@]}" "$PGBIN/pg_ctl" -D "$BASE/data" -l "$BASE/server.log" -w \
    -o "-p $PORT -k $BASE -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off" start >/dev/null
  "$PGBIN/psql" -h 127.0.0.1 -p "$PORT" -U postgres -qc "CREATE DATABASE vrkit_test" >/dev/null;;
stop)
  BASE=${2:?DIR}
  PGBIN=$(pgbin)
  if [ -f "$BASE/data/postmaster.pid" ]; then
    if [ "$(id -u)" = 0 ]; then
      runuser -u postgres -- "$PGBIN/pg_ctl" -D "$BASE/data" -m fast -w stop >/dev/null || true
    else
      "$PGBIN/pg_ctl" -D "$BASE/data" -m fast -w stop >/dev/null || true
    fi
  fi
  rm -rf "$BASE";;
*) echo "unknown command $CMD" >&2; exit 2;;
esac
