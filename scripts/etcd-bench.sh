#!/usr/bin/env bash
# Builds the leader CLI and etcd-bench in release mode and runs the etcd benchmark against a
# local etcd member it starts itself (Debian's etcd-server and etcd-client must be installed).
# Prints the figures and writes bench-results/etcd.json. Extra arguments go to etcd-bench:
# --handovers N, --failovers N, --failover-ttls 5,2, --idle-seconds S, --crowd N,
# --crowd-handovers N, --only handover,failover,idle,crowd, --output PATH.
set -euo pipefail
cd "$(dirname "$0")/.."
swift build -c release --product leader --disable-build-manifest-caching
swift build -c release --package-path Benchmarks --scratch-path .build --disable-build-manifest-caching --product etcd-bench
.build/release/etcd-bench --leader-binary .build/release/leader "$@"
./scripts/plot-benchmarks.py || echo "== charts not redrawn (see above)"
