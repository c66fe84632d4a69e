#!/usr/bin/env bash
# Runs a command with a throwaway PostgreSQL server: `scripts/with_postgres.sh make-or-test-command…`
# Installs Debian's postgresql when it is missing, creates a cluster in a temporary folder, starts
# it on a free loopback port, exports ATELIER_TEST_POSTGRES_URL for the command, and stops the
# server and deletes the folder however the command ends. ATELIER_TEST_POSTGRES_CTL names a
# script that stops (`$ATELIER_TEST_POSTGRES_CTL stop`) and starts it again (`… start`), on the
# same port and data, for tests of a database outage. As root (CI), the server runs as the
# `postgres` user the Debian package creates, since PostgreSQL refuses to run as root.
set -euo pipefail
[ $# -gt 0 ] || { echo "usage: $0 command [args…]" >&2; exit 2; }

bindir() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1; }
if [ -z "$(bindir)" ]; then
  echo "with_postgres: installing postgresql"
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends postgresql >/dev/null
fi
bin=$(bindir)
[ -x "$bin/initdb" ] || { echo "with_postgres: no initdb under /usr/lib/postgresql" >&2; exit 1; }

as_owner=()
if [ "$(id -u)" = 0 ]; then as_owner=(runuser -u postgres --); fi

dir=$(mktemp -d "${TMPDIR:-/tmp}/atelier-postgres.XXXXXX")
cleanup() {
  "${as_owner[@]}" "$bin/pg_ctl" -D "$dir/data" -m immediate -t 20 stop >/dev/null 2>&1 || true
  rm -rf "$dir"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
[ "$(id -u)" = 0 ] && chown postgres "$dir"

port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
# A test server: trust on loopback only, no fsync (its data is thrown away).
"${as_owner[@]}" "$bin/initdb" -D "$dir/data" -U atelier -A trust -E UTF8 --locale=C --no-sync >"$dir/initdb.log" 2>&1 \
  || { cat "$dir/initdb.log" >&2; exit 1; }
# The control script: start as at first; stop fast (clients are disconnected at once).
cat >"$dir/ctl" <<CTL
#!/usr/bin/env bash
set -euo pipefail
case "\${1:-}" in
  start) ${as_owner[*]} "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 30 \\
           -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \\
           start >/dev/null || { cat "$dir/server.log" >&2; exit 1; } ;;
  stop) ${as_owner[*]} "$bin/pg_ctl" -D "$dir/data" -m fast -w -t 30 stop >/dev/null ;;
  *) echo "usage: \$0 start|stop" >&2; exit 2 ;;
esac
CTL
chmod 755 "$dir/ctl"
"$dir/ctl" start
export ATELIER_TEST_POSTGRES_CTL="$dir/ctl"

export ATELIER_TEST_POSTGRES_URL="postgresql://atelier@127.0.0.1:$port/postgres"
echo "with_postgres: PostgreSQL $("$bin/postgres" --version | awk '{print $3}') on 127.0.0.1:$port"
set +e
"$@"
status=$?
set -e
exit "$status"
