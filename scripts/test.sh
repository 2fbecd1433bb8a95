#!/usr/bin/env bash
# Runs the whole test suite: unit tables, the deterministic simulation (1,000 seeds), the
# conformance suite against every backend (in-memory, SQLite, etcd, PostgreSQL, ZooKeeper), the billing
# engine against SQLite and PostgreSQL, the payment clients against the sandbox, and the
# integration tests with real processes. Extra arguments go to `swift test` (for example
# `--filter SimulationTests`).
#
# It starts a throwaway PostgreSQL when one is installed (scripts/install-test-deps.sh installs
# it, with etcd, ZooKeeper and kazoo); the etcd and ZooKeeper tests start their own servers. A run that exceeds TEST_TIME_LIMIT
# seconds (default 2400) is stopped and the tests that never finished are named (the output is
# line-buffered so that nothing printed before a hang is lost).
set -euo pipefail
cd "$(dirname "$0")/.."
swift build --build-tests

if [[ -z "${BILLING_TEST_POSTGRES_URL:-}" ]] && ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
    eval "$(./scripts/postgres-test-server.sh start)"
    trap './scripts/postgres-test-server.sh stop "$BILLING_TEST_POSTGRES_DIR"' EXIT
    echo "== PostgreSQL for the tests at $BILLING_TEST_POSTGRES_URL"
fi

log=$(mktemp /tmp/swift-test.XXXXXX.log)
status=0
timeout --kill-after=30 "${TEST_TIME_LIMIT:-2400}" stdbuf -oL -eL swift test --skip-build "$@" 2>&1 | tee "$log" || status=$?
if (( status == 124 || status == 137 )); then
    echo "== the tests did not finish within ${TEST_TIME_LIMIT:-2400} s; started but never finished:"
    python3 - "$log" <<'PY'
import re, sys
started, ended = [], set()
for line in open(sys.argv[1], errors="replace"):
    m = re.search(r'Test (.+?) started\.', line)
    if m: started.append(m.group(1))
    m = re.search(r'Test (.+?) (passed|failed|recorded an issue|skipped)', line)
    if m: ended.add(m.group(1))
for name in started:
    if name not in ended: print("   ", name)
PY
fi
rm -f "$log"
exit "$status"
