import Foundation

/// What one run of the harness writes as `report.json`, and its human summary.
struct RunReport: Codable, Sendable {
    /// Faults of one kind: injected, confirmed to have taken effect, and survived (confirmed in a run without violations).
    struct FaultTotals: Codable, Sendable {
        var injected = 0
        var confirmed = 0
        var survived = 0
    }

    var seed: UInt64
    var network: NetworkLab.Mode
    /// The coordination store the nodes elect their leader in.
    var coordination: CoordinationKind
    /// The negative control this run's nodes were built with, or nil for the real thing.
    var control: String?
    /// For a negative control, the signals that caught it (``ControlSignal``); it passes only
    /// when its own is among them.
    var caughtBy: [String]?
    var leaseTTLSeconds: Double
    var faultPhaseSeconds: Double
    var quietPeriodSeconds: Double
    /// Whether every due renewal was charged and every charge resolved before the quiet period ended.
    var settled: Bool
    var renewalsChecked: Int
    var faultTotals: [String: FaultTotals]
    var faults: [FaultRecord]
    /// Nodes that exited by themselves (a wedged leader's crash-only exit) and were restarted.
    var nodeSelfExits: Int
    var unreadableEventLines: Int
    var check: CheckReport
    /// For a normal run: no violation. For a negative control: its own signal caught it.
    var passed: Bool
    var directory: String

    /// The report as lines for people.
    var summary: String {
        var lines: [String] = []
        let label = control.map { "negative control '\($0)'" } ?? "fault-injection run"
        lines.append(
            "== \(label): seed \(seed), coordination \(coordination.rawValue), network \(network.rawValue), lease TTL \(leaseTTLSeconds) s, fault phase \(Int(faultPhaseSeconds)) s"
        )
        let confirmed = faultTotals.values.reduce(0) { $0 + $1.confirmed }
        let injected = faultTotals.values.reduce(0) { $0 + $1.injected }
        lines.append("faults: \(injected) injected, \(confirmed) confirmed")
        lines.append(
            "  kind                        injected confirmed survived  unavailability p50 / p99 / max (ms; p99 from 100 samples)")
        for kind in faultTotals.keys.sorted() {
            let totals = faultTotals[kind]!
            let figures =
                check.unavailability[kind].map { u in
                    "\(u.p50.map(String.init) ?? "-") / \(u.p99.map(String.init) ?? "-") / \(u.max.map(String.init) ?? "-")"
                        + (u.withoutLaterCharge > 0 ? " (\(u.withoutLaterCharge) without a later charge)" : "")
                } ?? "-"
            lines.append(
                "  " + kind.padding(toLength: 28, withPad: " ", startingAt: 0)
                    + String(totals.injected).leftPadded(8) + String(totals.confirmed).leftPadded(10)
                    + String(totals.survived).leftPadded(9) + "  " + figures)
        }
        lines.append(
            "renewals checked \(renewalsChecked): charged once \(check.audit.chargedOnce) (succeeded \(check.audit.succeeded), declined \(check.audit.declined)), double \(check.audit.doubleCharges), missed \(check.audit.missed), unexpected \(check.audit.unexpected)"
        )
        let late = check.lateness
        lines.append(
            "lateness (charged minus due, ms): p50 \(late.p50.map(String.init) ?? "-"), p99 \(late.p99.map(String.init) ?? "-"), max \(late.max.map(String.init) ?? "-") over \(late.samples.count) renewals"
        )
        lines.append(
            "unresolved charges at the end \(check.audit.unresolvedInDatabase), database/ledger mismatches \(check.audit.databaseMismatches), charged before due \(check.earlyCharges)"
        )
        lines.append(
            "leadership terms \(check.terms), tokens held by more than one node \(check.tokensHeldByMoreThanOneNode), fenced rejections seen \(check.fencedRejections), charge rows under a token no node held \(check.chargeRowsWithUnheldToken)"
        )
        lines.append(
            "the database's record: \(check.database.writesChecked) engine writes and \(check.database.fenceRaises) fence raises checked; stale writes accepted \(check.staleWritesAccepted), above the fence \(check.database.writesAboveFence), fence decreases \(check.database.fenceDecreases); by the nodes' logs, stale writes \(check.staleWritesInNodeLogs)"
        )
        let leadership = check.leadership
        lines.append(
            "the coordination store's record: \(leadership.storeTerms) terms in \(leadership.storeReads) reads (\(leadership.failedStoreReads) failed); nodes' claims \(leadership.claims); overlapping claims \(leadership.overlappingClaims), claims past the store's successor \(leadership.claimsPastStore) (and \(leadership.leasesEndedEarlyByStore) after the store ended a lease before the expiry it had promised), holder mismatches \(leadership.holderMismatches), writes by a non-holder \(leadership.writesByNonHolder) of \(leadership.writesChecked)"
        )
        lines.append(
            "the subscriptions' model: \(check.model.subscriptionsChecked) subscriptions, \(check.model.laterRenewals) renewals beyond a subscription's first, \(check.model.dunningRetries) dunning retries; departures \(check.model.departures)"
        )
        if !settled { lines.append("the cluster did not settle within the quiet period") }
        if nodeSelfExits > 0 { lines.append("nodes that exited by themselves and were restarted: \(nodeSelfExits)") }
        if unreadableEventLines > 0 { lines.append("unreadable event-log lines: \(unreadableEventLines)") }
        lines += check.violations.prefix(15).map { "  violation: \($0)" }
        if control != nil {
            let signals = (caughtBy ?? []).joined(separator: ", ")
            lines.append(
                passed
                    ? "CONTROL CAUGHT by its own signal (caught by: \(signals)), with \(check.violations.count) violation(s), as it must be for this deliberately broken build"
                    : "CONTROL NOT CAUGHT by its own signal (caught by: \(signals.isEmpty ? "nothing" : signals)), so the harness is broken"
            )
        } else {
            lines.append(passed ? "PASSED: no violations" : "FAILED: \(check.violations.count) violation(s); records in \(directory)")
        }
        return lines.joined(separator: "\n")
    }
}

extension String {
    fileprivate func leftPadded(_ width: Int) -> String { count >= width ? self : String(repeating: " ", count: width - count) + self }
}
