#!/usr/bin/env bash
# Builds billing-bench in release mode and measures renewals per second end to end (engine +
# store + the payment sandbox over HTTP) for SQLite and PostgreSQL at 0 ms and 50 ms of sandbox
# latency, each run followed by its audit. Starts a throwaway PostgreSQL (scripts/postgres-test-
# server.sh) unless BILLING_TEST_POSTGRES_URL names one. Writes bench-results/billing.json.
# Extra arguments go to billing-bench: --subscriptions N (default 20000), --stores sqlite,postgres,
# --latencies 0,50, --concurrency N (default 128), --connections N (PostgreSQL pool, default 16).
set -euo pipefail
cd "$(dirname "$0")/.."
swift build -c release --package-path Benchmarks --scratch-path .build --disable-build-manifest-caching --product billing-bench
if [[ -z "${BILLING_TEST_POSTGRES_URL:-}" ]]; then
    eval "$(./scripts/postgres-test-server.sh start)"
    trap './scripts/postgres-test-server.sh stop "$BILLING_TEST_POSTGRES_DIR"' EXIT
fi
mkdir -p bench-results
.build/release/billing-bench --output bench-results/billing.json "$@"
./scripts/plot-benchmarks.py || echo "== charts not redrawn (see above)"
