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
library_targets=(LeaderElection LeaderElectionTesting LeaderElectionSQLite LeaderElectionEtcd LeaderElectionPostgres LeaderElectionZooKeeper)
billing_targets=(Billing BillingNode)

# generate TARGET [PACKAGE-OPTIONS...]: one catalog, so that every failing catalog is reported.
failed=()
generate() {
    local target=$1
    shift
    echo "== documentation: $target"
    # The build plan is not cached: the packages share .build (see scripts/test.sh).
    swift package "$@" --scratch-path .build --disable-build-manifest-caching generate-documentation --target "$target" --warnings-as-errors \
        || failed+=("$target")
}

for target in "${library_targets[@]}"; do generate "$target"; done
for target in "${billing_targets[@]}"; do generate "$target" --package-path Billing; done
if (( ${#failed[@]} )); then
    echo "== documentation: warnings or errors in ${failed[*]}"
    exit 1
fi
echo "== documentation built without warnings: ${library_targets[*]} ${billing_targets[*]}"
