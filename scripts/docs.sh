#!/usr/bin/env bash
# Builds the DocC catalogs with warnings as errors: the library's modules (the root package) and
# the billing service's (Billing/). A broken symbol link, a missing article or any other DocC
# warning fails the run. The archives land in .build/documentation/NAME.doccarchive.
#
#   scripts/docs.sh                    # every catalog
#   scripts/docs.sh library            # the root package's catalogs; `billing`: Billing/'s
#   scripts/docs.sh preview TARGET     # one catalog, served at http://localhost:8080 while you edit it
#
# The symbol graphs come from the debug build (`swift package dump-symbol-graph` builds it first if
# it is not current), and `docc`, part of the toolchain, converts each catalog. There is no
# swift-docc-plugin dependency: its generate-documentation compiles every documented module again
# under its own build settings, about two minutes on CI's two cores.
set -euo pipefail
cd "$(dirname "$0")/.."
# The same build plan as scripts/test.sh's builds (see there), so that extracting the symbol graphs
# compiles nothing again.
export SWIFT_DETERMINISTIC_HASHING=1

# The modules with a catalog (Sources/NAME/Documentation.docc), by package.
library_targets=(LeaderElection LeaderElectionTesting LeaderElectionSQLite LeaderElectionEtcd LeaderElectionPostgres LeaderElectionZooKeeper LeaderElectionStores)
billing_targets=(Billing BillingNode)
output=.build/documentation

# symbol_graphs PACKAGE-DIRECTORY: extracts the package's symbol graphs and prints their directory.
symbol_graphs() {
    # The build plan is not cached: the packages share .build (see scripts/test.sh).
    swift package --package-path "$1" --scratch-path .build --disable-build-manifest-caching \
        dump-symbol-graph --emit-extension-block-symbols | sed -n 's/^Files written to //p'
}

# module_graphs GRAPHS TARGET: a directory with TARGET's graphs only (NAME.symbols.json, and
# NAME@OTHER.symbols.json for its extensions of OTHER's types): DocC reads every graph it is given.
module_graphs() {
    local directory=$output/graphs/$2
    rm -rf "$directory" && mkdir -p "$directory"
    cp "$1/$2".symbols.json "$directory/"
    cp "$1/$2"@*.symbols.json "$directory/" 2>/dev/null || true
    echo "$directory"
}

# catalog_options PACKAGE-DIRECTORY GRAPHS TARGET: what `docc convert` and `docc preview` need.
catalog_options() {
    echo "$1/Sources/$3/Documentation.docc" --additional-symbol-graph-dir "$(module_graphs "$2" "$3")" \
        --fallback-display-name "$3" --fallback-bundle-identifier "$3"
}

failed=()
# convert PACKAGE-DIRECTORY TARGETS...: every catalog of one package.
convert() {
    local directory=$1 graphs target
    shift
    echo "== documentation: $*"
    graphs=$(symbol_graphs "$directory")
    if [[ ! -d $graphs ]]; then
        echo "== documentation: no symbol graphs for $directory"
        failed+=("$@")
        return
    fi
    for target in "$@"; do
        # shellcheck disable=SC2046
        docc convert $(catalog_options "$directory" "$graphs" "$target") \
            --output-path "$output/$target.doccarchive" --warnings-as-errors || failed+=("$target")
    done
}

mkdir -p "$output"
case "${1:-all}" in
    all)
        convert . "${library_targets[@]}"
        convert Billing "${billing_targets[@]}"
        ;;
    library) convert . "${library_targets[@]}" ;;
    billing) convert Billing "${billing_targets[@]}" ;;
    preview)
        target=${2:?"usage: scripts/docs.sh preview TARGET (one of: ${library_targets[*]} ${billing_targets[*]})"}
        directory=.
        [[ " ${billing_targets[*]} " == *" $target "* ]] && directory=Billing
        if [[ ! -d $directory/Sources/$target/Documentation.docc ]]; then
            echo "scripts/docs.sh: $target has no catalog; one of: ${library_targets[*]} ${billing_targets[*]}" >&2
            exit 2
        fi
        # shellcheck disable=SC2046
        exec docc preview $(catalog_options "$directory" "$(symbol_graphs "$directory")" "$target") \
            --output-dir "$output/preview-$target"
        ;;
    *)
        echo "scripts/docs.sh: unknown argument '$1'; use library, billing or preview TARGET (or nothing, for every catalog)" >&2
        exit 2
        ;;
esac
if (( ${#failed[@]} )); then
    echo "== documentation: warnings or errors in: ${failed[*]}"
    exit 1
fi
echo "== documentation built without warnings"
