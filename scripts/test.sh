#!/usr/bin/env bash
# Runs the whole test suite: unit tables, the deterministic simulation (1,000 seeds), the
# conformance suite against every backend, and the integration tests with real `leader` processes.
# Extra arguments go to `swift test` (for example `--filter SimulationTests`).
set -euo pipefail
cd "$(dirname "$0")/.."
swift build --build-tests
swift test --skip-build "$@"
