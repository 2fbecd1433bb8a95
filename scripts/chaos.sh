#!/usr/bin/env bash
# The fault-injection suite: the harness (Billing/Sources/ChaosHarness) against each coordination
# store in turn (three etcd members, a three-server ZooKeeper ensemble, a PostgreSQL server of its
# own), with PostgreSQL as the billing database, the payment sandbox and five billing nodes (each in
# its own network namespace when run as root), then SQLite for both on one host, then the negative
# controls, each of which must be
# caught by its own signal: no-fencing (etcd) by the database's record of stale writes,
# retryable-closes-charge (etcd) and new-key-per-attempt (PostgreSQL) by double charges in the
# provider's ledger, renew-by-ping (ZooKeeper) by overlapping leadership in the store's own record.
# The provider and peer faults that two controls need are cut by namespace routes: run as root. Writes one JSON report and one
# summary per run to chaos-results/TIER/ and prints the totals.
#
#   scripts/chaos.sh short [SEED]   # CI: 60 s of faults per store, then the controls (~10 min)
#   scripts/chaos.sh long [SEED]    # 30 minutes of faults per store (20 renewals due per second), then the controls
#   scripts/chaos.sh totals DIR     # totals over every report in DIR
#
# CHAOS_STORES limits the stores (default "etcd zookeeper postgres sqlite"); CHAOS_BIN runs the binaries
# in that directory (with CHAOS_SKIP_BUILD=1). Extra options for the harness (every run, the
# controls' too) can come from CHAOS_OPTIONS, e.g. CHAOS_OPTIONS="--lease-ttl 5"; CHAOS_DURATION
# sets the fault phase, in seconds, of the stores' runs only (not the controls'). CHAOS_NETWORK picks the network
# (auto, namespaces, proxy, loopback; default auto: namespaces as root, else TCP proxies on
# loopback), e.g. CHAOS_NETWORK=proxy beside a namespace run.
set -euo pipefail
cd "$(dirname "$0")/.."

totals() {
    python3 - "$1" <<'PY'
import glob, json, sys
runs, controls = [], []
for path in sorted(glob.glob(sys.argv[1] + "/*.json")):
    report = json.load(open(path))
    (controls if report.get("control") else runs).append(report)
def pct(values, p):
    # A p99 from fewer than 100 samples is the maximum: shown as "-", beside the max.
    if not values or (p > .5 and len(values) < 100): return "-"
    values = sorted(values)
    return str(values[max(0, min(len(values) - 1, -(-int(p * len(values) * 1000) // 1000) - 1))])
print(f"== totals over {len(runs)} run(s) in {sys.argv[1]}")
grand = {"confirmed": 0, "checked": 0, "violations": 0}
for store in sorted({run["coordination"] for run in runs}):
    kinds = {}
    checked = violations = double = missed = stale = fenced = audited = overlaps = terms = reads = retries = later = departures = early = 0
    lateness = []
    for run in (r for r in runs if r["coordination"] == store):
        check = run["check"]
        checked += run["renewalsChecked"]
        violations += len(check["violations"]) + (0 if run["settled"] else 1)
        double += check["audit"]["doubleCharges"]; missed += check["audit"]["missed"]
        stale += check["database"]["staleWrites"]; fenced += check["fencedRejections"]
        audited += check["database"]["writesChecked"]
        leadership = check["leadership"]
        overlaps += leadership["overlappingClaims"] + leadership["claimsPastStore"] + leadership["holderMismatches"] + leadership["writesByNonHolder"]
        terms += leadership["storeTerms"]; reads += leadership["storeReads"]; early += leadership.get("leasesEndedEarlyByStore", 0)
        model = check["model"]
        retries += model["dunningRetries"]; later += model["laterRenewals"]; departures += model["departures"]
        lateness += check.get("lateness", {}).get("samples", [])
        for kind, t in run["faultTotals"].items():
            k = kinds.setdefault(kind, {"injected": 0, "confirmed": 0, "survived": 0, "samples": [], "censored": 0})
            for f in ("injected", "confirmed", "survived"): k[f] += t[f]
            k["samples"] += check["unavailability"].get(kind, {}).get("samples", [])
            k["censored"] += check["unavailability"].get(kind, {}).get("withoutLaterCharge", 0)
    print(f"-- coordination {store}")
    print("  kind                          injected confirmed survived  unavailability p50 / p99 / max (ms)")
    for kind in sorted(kinds):
        k = kinds[kind]; samples = k["samples"]
        censored = f" ({k['censored']} censored: no later charge)" if k["censored"] else ""
        print(f"  {kind:<30}{k['injected']:>8}{k['confirmed']:>10}{k['survived']:>9}  {pct(samples, .5)} / {pct(samples, .99)} / {max(samples) if samples else '-'}{censored}")
    confirmed = sum(k["confirmed"] for k in kinds.values())
    print(f"  lateness (charged minus due, ms) over {len(lateness)} renewals: p50 {pct(lateness, .5)}, p99 {pct(lateness, .99)}, max {max(lateness) if lateness else '-'}")
    print(f"  faults confirmed {confirmed}; renewals checked {checked}; double {double}, missed {missed}, stale writes accepted {stale} (of {audited} engine writes in the database's record); fenced rejections seen {fenced}; leadership overlaps {overlaps} ({terms} terms in {reads} reads of the store; {early} claims past a lease the store ended before its promised expiry); model departures {departures} ({later} renewals beyond a subscription's first, {retries} dunning retries); violations {violations}")
    grand["retries"] = grand.get("retries", 0) + retries; grand["later"] = grand.get("later", 0) + later
    grand["confirmed"] += confirmed; grand["checked"] += checked; grand["violations"] += violations
print(f"all stores: faults confirmed {grand['confirmed']}; renewals checked {grand['checked']} ({grand.get('later', 0)} beyond a subscription's first, {grand.get('retries', 0)} dunning retries); violations {grand['violations']}")
for control in controls:
    caught_by = ", ".join(control.get("caughtBy") or []) or "nothing"
    print(f"negative control {control['control']} ({control['coordination']}): {'caught by its own signal' if control['passed'] else 'NOT CAUGHT by its own signal'} (caught by: {caught_by}; {len(control['check']['violations'])} violations)")
PY
}

case "${1:-short}" in
totals) totals "${2:?pass a results directory}"; exit 0 ;;
short) tier=short; phase=(--duration 60); control_phase=(--duration 40) ;;
long) tier=long; phase=(--tier long --rate 20); control_phase=(--duration 90) ;;
*) echo "usage: $0 short|long [SEED] | totals DIR" >&2; exit 2 ;;
esac
seed=${2:-1}
if [[ -n ${CHAOS_DURATION:-} ]]; then phase+=(--duration "$CHAOS_DURATION"); fi
# The billing package builds into the repository's .build, beside the library (scripts/test.sh).
# CHAOS_SKIP_BUILD=1: the binaries are built already (scripts/test.sh's `swift build
# --build-tests` builds them, and a product build after it would compile everything again).
build=(--package-path Billing --scratch-path .build --disable-build-manifest-caching)
if [[ -z ${CHAOS_SKIP_BUILD:-} ]]; then
    swift build "${build[@]}" --product billing
    swift build "${build[@]}" --product ChaosHarness
    swift build "${build[@]}" --product FaketimeTimerfdShim
fi
# SwiftPM's link to the debug build directory (`--show-bin-path` would plan the build again), or
# CHAOS_BIN: a copy of the binaries, so that a long run is not disturbed by builds meanwhile.
bin=${CHAOS_BIN:-.build/debug}
out=chaos-results/$tier
mkdir -p "$out"
# shellcheck disable=SC2206
extra=(${CHAOS_OPTIONS:-} --network "${CHAOS_NETWORK:-auto}")
# Without the fence predicate, a stale write reaches the database when a leader resumes after its
# last leadership check (its own failpoint stops it there) or when a write it sent before a
# partition arrives after it (only plain loopback has no partitions; auto falls back to proxies).
if [[ ${CHAOS_NETWORK:-auto} != loopback ]]; then stale_faults=leader-stop-before-pending,leader-stop-before-outcome,leader-database-partition; else stale_faults=leader-stop-before-pending,leader-stop-before-outcome; fi
status=0
stores=${CHAOS_STORES:-etcd zookeeper postgres sqlite}
for store in $stores; do
    "$bin/ChaosHarness" "${phase[@]}" --coordination "$store" --seed "$seed" --output "$out" "${extra[@]}" || status=1
done
for store in $stores; do
    case $store in
    etcd)
        "$bin/ChaosHarness" "${control_phase[@]}" --coordination etcd --seed "$((seed + 1000))" --control no-fencing \
            --faults "$stale_faults" --output "$out" "${extra[@]}" || status=1
        # A charge applied whose answer was lost, then the provider unreachable while the leader
        # settles it: the bug fails it, and the dunning retry (seconds here) charges again. The
        # sandbox is not proxied: only namespaces can cut a node off from it.
        "$bin/ChaosHarness" "${control_phase[@]}" --coordination etcd --seed "$((seed + 4000))" --control retryable-closes-charge \
            --faults provider-lost-then-refused --output "$out" "${extra[@]}" || status=1 ;;
    zookeeper)
        # A server cut off from its peers answers the pings of a leader whose session lives there
        # for syncLimit (5 s) while the others expire the session: only namespaces can cut peers.
        # Ping renewal overlaps only when the server cut off holds the leader's session as a
        # follower (an ensemble leader cut off is deposed, and the session expired, only after the
        # pings stop), about one cut in two: 90 s gives about eight cuts, where 40 s once gave four
        # that all hit the ensemble's leader.
        "$bin/ChaosHarness" --duration 90 --coordination zookeeper --seed "$((seed + 3000))" --control renew-by-ping \
            --faults store-server-cut-from-peers --output "$out" "${extra[@]}" || status=1 ;;
    postgres)
        "$bin/ChaosHarness" "${control_phase[@]}" --coordination postgres --seed "$((seed + 2000))" --control new-key-per-attempt \
            --faults sandbox-lost-response,leader-kill --output "$out" "${extra[@]}" || status=1 ;;
    esac
done
totals "$out"
exit $status
