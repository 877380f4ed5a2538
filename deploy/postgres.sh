#!/usr/bin/env bash
# A throwaway PostgreSQL for tests, from Debian's packages.
#
#   deploy/postgres.sh ensure            install postgresql with apt-get when it is missing (needs root)
#   deploy/postgres.sh start DIR PORT    initdb (first time) and start a server on 127.0.0.1:PORT; prints its URL
#   deploy/postgres.sh stop DIR          stop it
set -euo pipefail
cmd="${1:-}"

bindir() {
  local d
  for d in /usr/lib/postgresql/*/bin; do
    [ -x "$d/initdb" ] && { echo "$d"; return 0; }
  done
  command -v initdb >/dev/null 2>&1 && { dirname "$(command -v initdb)"; return 0; }
  return 1
}

as_pg() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

case "$cmd" in
  ensure)
    if ! bindir >/dev/null; then
      [ "$(id -u)" = 0 ] || { echo "postgres.sh: PostgreSQL is missing; install it (apt-get install postgresql) or run as root" >&2; exit 1; }
      echo "postgres.sh: installing PostgreSQL from Debian's packages" >&2
      apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >&2
    fi
    ;;
  start)
    dir="${2:?data folder}"; port="${3:?port}"
    bin=$(bindir) || { echo "postgres.sh: PostgreSQL is not installed; run deploy/postgres.sh ensure" >&2; exit 1; }
    mkdir -p "$dir"
    if [ "$(id -u)" = 0 ]; then
      chown postgres "$dir"
      runuser -u postgres -- test -x "$dir" || { echo "postgres.sh: user postgres cannot reach $dir; make its parent folders traversable (chmod o+x)" >&2; exit 1; }
    fi
    if [ ! -f "$dir/PG_VERSION" ]; then
      as_pg "$bin/initdb" -D "$dir" -U radar --auth=trust -E UTF8 >"$dir.initdb.log" 2>&1 || { cat "$dir.initdb.log" >&2; exit 1; }
    fi
    if as_pg "$bin/pg_ctl" -D "$dir" status >/dev/null 2>&1; then
      echo "postgresql+psycopg://radar@127.0.0.1:$port/radar"; exit 0
    fi
    as_pg "$bin/pg_ctl" -D "$dir" -l "$dir/server.log" -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off" -w start >/dev/null
    as_pg "$bin/createdb" -h 127.0.0.1 -p "$port" -U radar radar 2>/dev/null || true
    echo "postgresql+psycopg://radar@127.0.0.1:$port/radar"
    ;;
  stop)
    dir="${2:?data folder}"
    bin=$(bindir)
    as_pg "$bin/pg_ctl" -D "$dir" -m fast -w stop >/dev/null || true
    ;;
  *) sed -n '2,7p' "$0" >&2; exit 2 ;;
esac
