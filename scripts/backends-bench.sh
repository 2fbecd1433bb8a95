#!/usr/bin/env bash
# Builds the leader CLI and backends-bench in release mode and measures the PostgreSQL and
# ZooKeeper backends: graceful handover (200 resignations each) and crash failover (20 SIGKILLs of
# `leader campaign`), with kazoo's Election handover measured side by side on the same ZooKeeper
# server (which the benchmark starts itself from Debian's jars). PostgreSQL: BILLING_TEST_POSTGRES_URL,
# or a throwaway server from scripts/postgres-test-server.sh. Prints the figures and writes
# bench-results/backends.json. Extra arguments go to backends-bench: --handovers N,
# --kazoo-handovers N, --failovers N, --failover-ttl S, --only postgres,zookeeper,kazoo,failover.
set -euo pipefail
cd "$(dirname "$0")/.."
swift build -c release --product leader --disable-build-manifest-caching
swift build -c release --package-path Benchmarks --scratch-path .build --disable-build-manifest-caching --product backends-bench
if [[ -z "${BILLING_TEST_POSTGRES_URL:-}" ]] && ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
    eval "$(./scripts/postgres-test-server.sh start)"
    trap './scripts/postgres-test-server.sh stop "$BILLING_TEST_POSTGRES_DIR"' EXIT
fi
.build/release/backends-bench --leader-binary .build/release/leader "$@"
./scripts/plot-benchmarks.py || echo "== charts not redrawn (see above)"
