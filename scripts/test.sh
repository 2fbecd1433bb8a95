#!/usr/bin/env bash
# Runs the whole test suite: unit tables, the deterministic simulation (1,000 seeds), the
# conformance suite against every backend (in-memory, SQLite, etcd, PostgreSQL, ZooKeeper), the
# billing engine against SQLite and PostgreSQL, the payment clients against the sandbox, and the
# integration tests with real processes, and finally the fault-injection suite's short tier
# (scripts/chaos.sh short: faults against five billing nodes on each coordination store, their
# billing database and the sandbox, checked afterwards, and its four negative controls).
#
#   scripts/test.sh                      # everything (what CI runs)
#   scripts/test.sh --filter Simulation  # with arguments: one run of the library package's tests
#                                        # (BILLING=1: Billing/'s) with Swift Testing's options
#                                        # (--filter, --skip: regular expressions)
#
# The repository holds three packages (the library at the root, Billing/, Benchmarks/); all three
# build into the root's .build, so that the dependencies they share are compiled once. Builds that
# share it pass --disable-build-manifest-caching: SwiftPM's cached build plan belongs to whichever
# package built last, and would otherwise be reused for another package's build.
#
# Needs etcd, PostgreSQL, ZooKeeper, Chromium and a few Python libraries:
# scripts/install-test-deps.sh (run first) installs what is missing from Debian and PyPI. This
# script starts a throwaway PostgreSQL (unless BILLING_TEST_POSTGRES_URL names one); the etcd and
# ZooKeeper tests start their own servers.
#
# Tests whose leases run on real time (conformance, SQLite, the CLI's processes, etcd, PostgreSQL,
# ZooKeeper, billing nodes) would lose leaderships if they shared the 2 cores of a CI machine with
# CPU-heavy tests, so they live in …IntegrationTests targets, which run after the rest, one target
# at a time; every other target runs first, in parallel.
# Each test run that exceeds TEST_TIME_LIMIT seconds (default 1200) is stopped and the
# tests that never finished are named (the output is line-buffered so that nothing printed before
# a hang is lost).
set -euo pipefail
cd "$(dirname "$0")/.."

# Test targets named …IntegrationTests hold the tests that run on real time or start processes and
# servers; they run after the rest, one target at a time (the library's, then the billing
# service's). Every other test target runs first, in parallel.
# integration_targets PACKAGE-DIRECTORY: its integration test targets, by folder name.
integration_targets() {
    local directory
    for directory in "$1"/Tests/*IntegrationTests; do [[ -d $directory ]] && basename "$directory"; done
}

# On a fresh machine this installs what the tests need (as root; otherwise it names what is missing).
./scripts/install-test-deps.sh

# The code is formatted as .swift-format says (scripts/format.sh formats it).
if (( $# == 0 )); then ./scripts/format.sh --check; fi

# SwiftPM orders a dependency's package traits (-D flags) as a Swift Set iterates, which differs
# from one process to the next unless hashing is deterministic; a different order is a different
# command, so swift-protobuf and Hummingbird would be compiled again by half of all builds.
export SWIFT_DETERMINISTIC_HASHING=1
shared_build=(--scratch-path .build --disable-build-manifest-caching)
# The order matters: any run of the root package's (or the example's) build plan makes the next
# build of a package with Hummingbird compile Hummingbird and its dependencies again (about 30 s).
# So the packages without it build first, and each package's DocC catalogs are built while its
# build is current (their symbol graphs come from it).
failed=0
# docs PACKAGE: that package's catalogs (scripts/docs.sh), on a full run only.
docs() {
    (( ${#arguments[@]} == 0 )) || return 0
    ./scripts/docs.sh "$1" || { echo "== documentation (scripts/docs.sh $1): FAILED"; failed=1; }
}
arguments=("$@")
swift build --build-tests "${shared_build[@]}"
docs library
# The example and the benchmarks have no tests; building them keeps them compiling.
swift build --package-path Examples/SQLiteElection "${shared_build[@]}"
swift build --build-tests --package-path Billing "${shared_build[@]}"
docs billing
swift build --package-path Benchmarks "${shared_build[@]}"

# Each package's tests are one executable in the shared build directory. The runs below start it
# with Swift Testing's options, as `swift test --skip-build` does, without planning the package's
# build again first (about 5 s a run, nine runs). `.build/debug` is SwiftPM's link to the debug
# build directory (asking `swift build --show-bin-path` costs a plan too).
bin=.build/debug
# test_bundle PACKAGE: the package's test executable.
test_bundle() {
    if [[ $1 == root ]]; then echo "$bin/swift-leader-electionPackageTests.xctest"; else echo "$bin/swift-billingPackageTests.xctest"; fi
}

if [[ -z "${BILLING_TEST_POSTGRES_URL:-}" ]] && ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
    eval "$(./scripts/postgres-test-server.sh start)"
    trap './scripts/postgres-test-server.sh stop "$BILLING_TEST_POSTGRES_DIR"' EXIT
    echo "== PostgreSQL for the tests at $BILLING_TEST_POSTGRES_URL"
fi

# run_tests LABEL PACKAGE SWIFT-TESTING-ARGUMENTS...
run_tests() {
    local label=$1 package=$2 log status=0
    shift 2
    echo "== tests: $label"
    log=$(mktemp /tmp/swift-test.XXXXXX.log)
    timeout --kill-after=30 "${TEST_TIME_LIMIT:-1200}" stdbuf -oL -eL env NO_COLOR=1 "$(test_bundle "$package")" \
        --testing-library swift-testing "$@" 2>&1 | tee "$log" || status=$?
    if (( status == 124 || status == 137 )); then
        echo "== $label: did not finish within ${TEST_TIME_LIMIT:-1200} s; started but never finished:"
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
    # A run that ran no test at all (a filter that matched nothing) is a failure, not a pass.
    # (Swift Testing exits with 69, EX_UNAVAILABLE, when its filters match no test.)
    if grep -q "Test run with 0 tests" "$log"; then
        echo "== $label: no test ran"
        status=1
    fi
    rm -f "$log"
    if (( status != 0 )); then
        echo "== $label: FAILED (exit $status)"
        failed=1
    fi
}

if (( $# )); then
    if [[ -n ${BILLING:-} ]]; then run_tests "tests $* (Billing)" Billing "$@"; else run_tests "tests $*" root "$@"; fi
else
    for package in root Billing; do
        run_tests "$package: unit test targets, in parallel" "$package" --skip 'IntegrationTests\.'
    done
    for package in root Billing; do
        directory=.; [[ $package == root ]] || directory=$package
        for target in $(integration_targets "$directory"); do
            run_tests "$package: $target" "$package" --filter "^$target\."
        done
    done
    echo "== subscriptions API fuzzer (scripts/api-fuzz.sh)"
    if ! ./scripts/api-fuzz.sh 100; then
        echo "== subscriptions API fuzzer: FAILED"
        failed=1
    fi
    echo "== fault-injection suite, short tier (scripts/chaos.sh short)"
    if ! timeout --kill-after=30 "${CHAOS_TIME_LIMIT:-1500}" env CHAOS_SKIP_BUILD=1 stdbuf -oL -eL ./scripts/chaos.sh short; then
        echo "== fault-injection suite: FAILED"
        failed=1
    fi
fi
if (( failed )); then
    echo "== some tests failed (see FAILED above)"
    exit 1
fi
echo "== all tests passed"
