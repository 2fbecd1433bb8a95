import Billing
import BillingNode
import Foundation
import PaymentSandbox

/// Checks a run's independent records against each other and against the promise: the
/// sandbox's ledger (what the provider applied, per key), the billing database (charges and their
/// tokens, and its own record of every committed write and fence, ``WriteAudit``), the
/// coordination store's record of who led (``LeadershipObserver``) and every node's event log
/// (leadership terms, fenced writes, provider calls).
struct HistoryChecker {
    var due: [RenewalID: Int64]
    var ledger: [LedgerEntry]
    var charges: [Charge]
    var writes: [WriteAudit.Entry]
    var events: [NodeEvent]
    /// The coordination store's own record of who led (``LeadershipObserver``).
    var store: LeadershipObserver.Record
    var faults: [FaultRecord]
    /// Each subscription's expected history (nil in tests of the other checks).
    var model: SubscriptionModel? = nil
    /// Event logs that were missing or had unreadable lines: each a violation, since a record
    /// the checker cannot read hides what it would show.
    var eventLogProblems: [String] = []

    func check() -> CheckReport {
        var report = CheckReport(audit: ChargeAudit(dueRenewals: Set(due.keys), ledger: ledger, charges: charges))
        var violations: [String] = []
        func violation(_ text: String) { if violations.count < 50 { violations.append(text) } }

        // Each token held by one node only.
        var holders: [Int64: Set<String>] = [:]
        for event in events where event.kind == .leading {
            if let token = event.token { holders[token, default: []].insert(event.node) }
        }
        report.terms = holders.count
        for (token, nodes) in holders where nodes.count > 1 {
            report.tokensHeldByMoreThanOneNode += 1
            violation("token \(token) was held by \(nodes.sorted().joined(separator: " and "))")
        }

        // Stale writes, from the database's own record: every committed engine write was made
        // under the fence of its moment, and the fence never went down.
        report.database = WriteAudit.check(writes)
        violations += report.database.violations

        // Leadership against the coordination store's record and between nodes.
        report.leadership = LeadershipCheck(events: events, store: store, writes: writes).check()
        violations += report.leadership.violations

        // The same from the nodes' logs (a third record, blind to writes that a node abandoned
        // and that committed later): no write accepted under a token after a write under a
        // higher token was accepted.
        let writes = events.filter { $0.kind == .write }
        report.fencedRejections = writes.count { $0.result == "stale" }
        var firstAcceptedEnd: [Int64: Int64] = [:]
        for write in writes where write.result == "accepted" {
            guard let token = write.token else { continue }
            firstAcceptedEnd[token] = min(firstAcceptedEnd[token] ?? .max, write.timeMs)
        }
        var earliestAbove: [Int64: Int64] = [:]
        var running = Int64.max
        for token in firstAcceptedEnd.keys.sorted(by: >) {
            earliestAbove[token] = running
            running = min(running, firstAcceptedEnd[token]!)
        }
        for write in writes where write.result == "accepted" {
            guard let token = write.token, let start = write.startMs, let above = earliestAbove[token], start > above else { continue }
            report.staleWritesInNodeLogs += 1
            violation(
                "stale write accepted, by the nodes' logs: \(write.node) wrote \(write.operation ?? "?") for \(write.subscription ?? "?") under token \(token) at \(start), after a higher token's write was accepted at \(above)"
            )
        }

        // Every charge row was written under a token some node held.
        for charge in charges where holders[charge.fencingToken.rawValue] == nil {
            report.chargeRowsWithUnheldToken += 1
            violation(
                "charge of \(charge.subscriptionID) for \(charge.periodStart) carries token \(charge.fencingToken), which no node held")
        }

        // Nothing charged before it fell due (by the provider's clock, which no fault skews), and
        // how late each renewal was charged.
        var firstApplied: [RenewalID: Int64] = [:]
        for entry in ledger {
            guard let subscription = entry.metadata["subscription_id"], let period = entry.metadata["period_start"] else { continue }
            let renewal = RenewalID(subscriptionID: subscription, periodStart: period)
            guard let dueMs = due[renewal] else { continue }
            firstApplied[renewal] = min(firstApplied[renewal] ?? .max, entry.appliedAtMs)
            if entry.appliedAtMs < dueMs {
                report.earlyCharges += 1
                violation(
                    "\(subscription) period \(period) was charged at \(entry.appliedAtMs) ms, \(dueMs - entry.appliedAtMs) ms before it fell due"
                )
            }
        }
        for (renewal, applied) in firstApplied {
            report.lateness.samples.append(applied - due[renewal]!)
        }
        for problem in eventLogProblems { violation(problem) }
        if let model {
            report.model = model.check()
            violations += report.model.violations
        }

        if report.audit.doubleCharges > 0 { violation("\(report.audit.doubleCharges) renewals charged more than once") }
        if report.audit.missed > 0 { violation("\(report.audit.missed) due renewals never charged") }
        if report.audit.unexpected > 0 { violation("\(report.audit.unexpected) charges that were not due") }
        if report.audit.unresolvedInDatabase > 0 {
            violation("\(report.audit.unresolvedInDatabase) charges left pending or unknown in the database")
        }
        if report.audit.databaseMismatches > 0 {
            violation("\(report.audit.databaseMismatches) charges on which the database and the ledger disagree")
        }
        violations += report.audit.problems.prefix(10).map { "audit: \($0)" }
        report.violations = violations

        // Unavailability: fault start → the first successful charge after it (by a leader whose
        // term began after it, for leader faults).
        let calls = events.filter { $0.kind == .charge && $0.result == "succeeded" && $0.token != nil && $0.startMs != nil }
            .sorted { $0.startMs! < $1.startMs! }
        for fault in faults where fault.confirmed {
            let newer = fault.leaderTokenBefore.map { before in { (event: NodeEvent) in event.token! > before } } ?? { _ in true }
            let next = calls.first { $0.startMs! >= fault.startMs && newer($0) }
            report.recordUnavailability(fault.kind, milliseconds: next.map { $0.startMs! - fault.startMs })
        }
        return report
    }

    /// Reads the nodes' event logs, and names each that is missing or has lines that are not events.
    static func readEvents(paths: [String]) -> (events: [NodeEvent], unreadable: Int, problems: [String]) {
        var events: [NodeEvent] = []
        var unreadable = 0
        var problems: [String] = []
        let decoder = JSONDecoder()
        for path in paths {
            guard let data = FileManager.default.contents(atPath: path) else {
                problems.append("the event log \(path) is missing or unreadable")
                continue
            }
            var bad = 0
            for line in data.split(separator: UInt8(ascii: "\n")) where !line.isEmpty {
                if let event = try? decoder.decode(NodeEvent.self, from: Data(line)) { events.append(event) } else { bad += 1 }
            }
            if bad > 0 { problems.append("the event log \(path) has \(bad) lines that are not events") }
            unreadable += bad
        }
        return (events, unreadable, problems)
    }
}
