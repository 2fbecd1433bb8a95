#!/usr/bin/env bash
# Starts (or stops) a throwaway PostgreSQL server for the billing tests, from Debian's packages.
#
#   scripts/postgres-test-server.sh install   # apt-get install postgresql (needs root; CI does it)
#   eval "$(scripts/postgres-test-server.sh start)"
#       # prints: export BILLING_TEST_POSTGRES_URL=postgres://billing:billing@127.0.0.1:PORT/billing
#       #         export BILLING_TEST_POSTGRES_DIR=/tmp/...
#   scripts/postgres-test-server.sh stop "$BILLING_TEST_POSTGRES_DIR"
#
# The server runs as the unprivileged `postgres` user (initdb refuses root), in a fresh temporary
# directory, on a free loopback port, with fsync off (test data is thrown away; a benchmark that
# needs durable commits sets BILLING_TEST_POSTGRES_DURABLE=1). The tests create
# one database per test through the `billing` superuser.
set -euo pipefail

bin_dir() {
    local dir
    dir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
    if [[ -z "$dir" || ! -x "$dir/initdb" ]]; then
        echo "postgres-test-server: no PostgreSQL server found under /usr/lib/postgresql; run '$0 install' first" >&2
        exit 1
    fi
    echo "$dir"
}

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

as_postgres() {
    if [[ $(id -u) -eq 0 ]]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

case "${1:-}" in
install)
    if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
    fi
    ;;
start)
    bin=$(bin_dir)
    dir=$(mktemp -d /tmp/billing-postgres.XXXXXX)
    port=$(free_port)
    if [[ $(id -u) -eq 0 ]]; then chown postgres: "$dir"; fi
    as_postgres "$bin/initdb" -D "$dir/data" -U billing --auth=trust --encoding=UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 \
        || { cat "$dir/initdb.log" >&2; exit 1; }
    durability="-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
    [[ -z ${BILLING_TEST_POSTGRES_DURABLE:-} ]] || durability="-c fsync=on -c synchronous_commit=on"
    as_postgres "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
        -o "-c listen_addresses=127.0.0.1 -c port=$port -c unix_socket_directories=$dir $durability -c max_connections=200" \
        start >/dev/null || { cat "$dir/server.log" >&2; exit 1; }
    as_postgres "$bin/psql" -h 127.0.0.1 -p "$port" -U billing -d postgres -q -c "ALTER USER billing PASSWORD 'billing'" -c "CREATE DATABASE billing" >/dev/null
    echo "export BILLING_TEST_POSTGRES_URL=postgres://billing:billing@127.0.0.1:$port/billing"
    echo "export BILLING_TEST_POSTGRES_DIR=$dir"
    ;;
stop)
    dir=${2:-${BILLING_TEST_POSTGRES_DIR:-}}
    [[ -n "$dir" && -d "$dir/data" ]] || { echo "postgres-test-server: pass the directory printed by 'start'" >&2; exit 1; }
    as_postgres "$(bin_dir)/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null || true
    rm -rf "$dir"
    ;;
*)
    echo "usage: $0 install | start | stop DIR" >&2
    exit 2
    ;;
esac
