#!/usr/bin/env bash
# Builds the leader CLI in release mode and runs the SQLite benchmark against it.
# Prints the figures and writes bench-results/sqlite.json (from the package root).
# Extra arguments go to leader-bench: --handovers N, --failovers N, --idle-seconds S, --output PATH.
set -euo pipefail
cd "$(dirname "$0")/.."
swift build -c release --product leader --disable-build-manifest-caching
swift build -c release --package-path Benchmarks --scratch-path .build --disable-build-manifest-caching --product leader-bench
.build/release/leader-bench --binary .build/release/leader "$@"
./scripts/plot-benchmarks.py || echo "== charts not redrawn (see above)"
