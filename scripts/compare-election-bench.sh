#!/usr/bin/env bash
# Measures graceful handover (200 resignations) and crash failover (20 SIGKILLs of a `leader
# campaign` leader) on every backend for two release builds, taking turns (A B B A) so that the
# machine's drift weighs on both alike, and prints each run's figures. For before/after figures of
# a change to the election or a backend:
#
#   git worktree add /tmp/before REV && (cd /tmp/before && swift build -c release && swift build -c release --package-path Benchmarks --scratch-path .build --disable-build-manifest-caching)
#   swift build -c release && swift build -c release --package-path Benchmarks --scratch-path .build --disable-build-manifest-caching
#   scripts/compare-election-bench.sh /tmp/before/.build/release .build/release
#
# Each directory must hold leader, leader-bench, backends-bench and etcd-bench. PostgreSQL:
# BILLING_TEST_POSTGRES_URL, or a throwaway server from scripts/postgres-test-server.sh. Output
# (JSON per run) goes to bench-results/compare/.
set -euo pipefail
cd "$(dirname "$0")/.."
if (( $# != 2 )); then
    echo "usage: $0 BEFORE_RELEASE_DIR AFTER_RELEASE_DIR" >&2
    exit 2
fi
before=$(cd "$1" && pwd)
after=$(cd "$2" && pwd)
for dir in "$before" "$after"; do
    for binary in leader leader-bench backends-bench etcd-bench; do
        [[ -x "$dir/$binary" ]] || { echo "error: $dir/$binary is missing; build it with swift build -c release --product $binary" >&2; exit 2; }
    done
done
if [[ -z "${BILLING_TEST_POSTGRES_URL:-}" ]]; then
    eval "$(./scripts/postgres-test-server.sh start)"
    trap './scripts/postgres-test-server.sh stop "$BILLING_TEST_POSTGRES_DIR"' EXIT
fi
out=bench-results/compare
mkdir -p "$out"

run() {
    local label=$1 dir=$2 round=$3
    echo "=== $label ($dir), round $round"
    "$dir/leader-bench" --binary "$dir/leader" --handovers 200 --failovers 20 --idle-seconds 1 \
        --output "$out/sqlite-$label-$round.json" | grep -E "handover|failover"
    "$dir/backends-bench" --leader-binary "$dir/leader" --handovers 200 --failovers 20 --failover-ttl 2 \
        --only postgres,zookeeper,failover --postgres "$BILLING_TEST_POSTGRES_URL" \
        --output "$out/backends-$label-$round.json" | grep -vE "^==" || true
    "$dir/etcd-bench" --leader-binary "$dir/leader" --handovers 200 --failovers 20 --failover-ttls 2 \
        --only handover,failover --output "$out/etcd-$label-$round.json" | grep -vE "^==" || true
}

run before "$before" 1
run after "$after" 1
run after "$after" 2
run before "$before" 2
