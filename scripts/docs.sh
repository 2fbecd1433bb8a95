#!/usr/bin/env bash
# Builds every DocC catalog with warnings as errors: the library's modules (the root package) and
# the billing service's (Billing/). A broken symbol link, a missing article or any other DocC
# warning fails the run. The archives land in .build/plugins/Swift-DocC/outputs/.
#
#   scripts/docs.sh                 # every catalog (scripts/test.sh runs this at the end)
#   swift package --disable-sandbox --scratch-path .build preview-documentation --target LeaderElection
#                                   # one catalog, served locally while you edit it
set -euo pipefail
cd "$(dirname "$0")/.."

# The modules with a catalog (Sources/NAME/Documentation.docc), by package.
library_targets=(LeaderElection LeaderElectionTesting LeaderElectionSQLite LeaderElectionEtcd LeaderElectionPostgres LeaderElectionZooKeeper LeaderElectionStores)
billing_targets=(Billing BillingNode)

# generate PACKAGE-OPTIONS -- TARGETS...: one package's catalogs in one plugin run (one symbol-graph
# build); DocC names the catalog and the line of every warning.
failed=()
generate() {
    local options=() targets=()
    while [[ $1 != -- ]]; do options+=("$1"); shift; done
    shift
    for target in "$@"; do targets+=(--target "$target"); done
    echo "== documentation: $*"
    # The build plan is not cached: the packages share .build (see scripts/test.sh).
    swift package "${options[@]}" --scratch-path .build --disable-build-manifest-caching \
        generate-documentation "${targets[@]}" --warnings-as-errors || failed+=("$*")
}

generate -- "${library_targets[@]}"
generate --package-path Billing -- "${billing_targets[@]}"
if (( ${#failed[@]} )); then
    echo "== documentation: warnings or errors among: ${failed[*]}"
    exit 1
fi
echo "== documentation built without warnings: ${library_targets[*]} ${billing_targets[*]}"
