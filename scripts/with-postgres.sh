#!/usr/bin/env bash
# Runs a command with IARSS_TEST_DATABASE_URL pointing at a PostgreSQL server: the one
# already set, or a throwaway cluster started here (initdb in a temporary directory, on a
# free port on 127.0.0.1) and stopped afterwards, also when the command fails.
# WITH_POSTGRES_OPTIONS adds server options to the throwaway cluster's, e.g.
# "-c shared_preload_libraries=pg_stat_statements" for the daemon benchmark's statement
# breakdown (BENCH_PG_STATEMENTS=1).
set -euo pipefail

if [ -n "${IARSS_TEST_DATABASE_URL:-}" ]; then
  exec "$@"
fi

find_bin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1; }
PGBIN=$(find_bin)
if [ -z "$PGBIN" ]; then
  echo "with-postgres: installing PostgreSQL" >&2
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null) >&2
  PGBIN=$(find_bin)
fi
[ -x "$PGBIN/initdb" ] || { echo "with-postgres: no initdb found" >&2; exit 1; }

PGROOT=$(mktemp -d /tmp/iarss-pg.XXXXXX)
as_pg() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}
if [ "$(id -u)" = 0 ]; then chown postgres "$PGROOT"; fi
# A free port on 127.0.0.1: nothing answers a connection to it.
PORT=
for _ in $(seq 1 50); do
  candidate=$((20000 + RANDOM % 40000))
  if ! (exec 3<>"/dev/tcp/127.0.0.1/$candidate") 2>/dev/null; then PORT=$candidate; break; fi
done
[ -n "$PORT" ] || { echo "with-postgres: no free port found" >&2; exit 1; }

cleanup() {
  as_pg "$PGBIN/pg_ctl" -D "$PGROOT/data" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$PGROOT"
}
trap cleanup EXIT INT TERM

as_pg "$PGBIN/initdb" -D "$PGROOT/data" -U postgres --auth=trust -E UTF8 >/dev/null
as_pg "$PGBIN/pg_ctl" -D "$PGROOT/data" -l "$PGROOT/log" -w -t 60 \
  -o "-p $PORT -k $PGROOT -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200 ${WITH_POSTGRES_OPTIONS:-}" \
  start >/dev/null

export IARSS_TEST_DATABASE_URL="postgres://postgres@127.0.0.1:$PORT/postgres"
echo "with-postgres: throwaway PostgreSQL on 127.0.0.1:$PORT" >&2
"$@"
