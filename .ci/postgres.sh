# Sourced by .ci/run: a throwaway PostgreSQL cluster for the history-store tests.
# Installs Debian's postgresql when pg_ctl/initdb are absent, runs the cluster as a non-root user on a free local
# port in a temporary directory, exports DR_AUDIT_TEST_PG_URL, and stops and removes it when the script exits.

pg_bin_dir() {
  if command -v pg_ctl >/dev/null 2>&1 && command -v initdb >/dev/null 2>&1; then
    dirname "$(command -v pg_ctl)"
    return
  fi
  # Debian keeps the server binaries off PATH, under /usr/lib/postgresql/<version>/bin.
  ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1
}

start_test_postgres() {
  local bin owner port
  bin="$(pg_bin_dir)"
  if [ -z "$bin" ] || [ ! -x "$bin/initdb" ]; then
    apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y postgresql
    bin="$(pg_bin_dir)"
  fi
  PG_TEST_DIR="$(mktemp -d /tmp/dr-audit-pg.XXXXXX)"
  if [ "$(id -u)" = "0" ]; then
    # PostgreSQL refuses to run as root: use the postgres account, or make a system user for it.
    owner=postgres
    id -u "$owner" >/dev/null 2>&1 || { owner=draudit-pg; id -u "$owner" >/dev/null 2>&1 || useradd --system --no-create-home "$owner"; }
    chown "$owner" "$PG_TEST_DIR"
    PG_AS=(runuser -u "$owner" --)
  else
    PG_AS=()
  fi
  port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
  "${PG_AS[@]}" "$bin/initdb" -D "$PG_TEST_DIR/data" -U draudit -A trust --no-sync >/dev/null
  "${PG_AS[@]}" "$bin/pg_ctl" -D "$PG_TEST_DIR/data" -l "$PG_TEST_DIR/server.log" -w \
    -o "-p $port -k $PG_TEST_DIR -c listen_addresses=127.0.0.1 -c fsync=off" start >/dev/null
  PG_TEST_BIN="$bin"
  export DR_AUDIT_TEST_PG_URL="postgresql+psycopg://draudit@127.0.0.1:$port/postgres"
  trap stop_test_postgres EXIT
}

stop_test_postgres() {
  if [ -n "${PG_TEST_DIR:-}" ]; then
    "${PG_AS[@]}" "$PG_TEST_BIN/pg_ctl" -D "$PG_TEST_DIR/data" -m fast -w stop >/dev/null 2>&1 || true
    rm -rf "$PG_TEST_DIR"
  fi
}
