import Billing
import PaymentSandbox

/// The audit of a billing run: every renewal that was due, checked against the provider's ledger
/// (the ground truth: what was actually charged) and the billing database.
///
/// A renewal is identified by its subscription and period start. It is *charged once* when the
/// ledger holds exactly one applied charge for it (succeeded or declined: a declined card was
/// still asked exactly once), *double* when more than one charge for it moved money or a key was
/// applied more than once, and *missed* when the ledger holds nothing for it.
public struct ChargeAudit: Codable, Sendable {
    /// Renewals that were due.
    public var due: Int
    /// Due renewals with exactly one applied charge.
    public var chargedOnce: Int
    /// Of those, succeeded (money moved).
    public var succeeded: Int
    /// Of those, declined.
    public var declined: Int
    /// Renewals charged more than once (must be 0).
    public var doubleCharges: Int
    /// Due renewals never charged (must be 0).
    public var missed: Int
    /// Ledger charges for renewals that were not due (must be 0).
    public var unexpected: Int
    /// Database charge rows still pending or unknown.
    public var unresolvedInDatabase: Int
    /// Renewals whose database row disagrees with the ledger (succeeded in one, not in the other).
    public var databaseMismatches: Int
    /// Up to 10 examples of each problem, for the operator.
    public var problems: [String]

    /// Whether the run charged every due renewal exactly once.
    public var isClean: Bool { doubleCharges == 0 && missed == 0 && unexpected == 0 }

    /// Audits `dueRenewals` (subscription id, period start) against the provider's `ledger` and the database's `charges`.
    public init(dueRenewals: Set<RenewalID>, ledger: [LedgerEntry], charges: [Charge]) {
        var applied: [RenewalID: [LedgerEntry]] = [:]
        var unexpected = 0
        var problems: [String] = []
        func note(_ problem: String) { if problems.count < 30 { problems.append(problem) } }
        for entry in ledger {
            guard let subscription = entry.metadata["subscription_id"], let period = entry.metadata["period_start"] else {
                unexpected += 1
                note("ledger charge \(entry.reference) carries no subscription_id/period_start metadata")
                continue
            }
            let id = RenewalID(subscriptionID: subscription, periodStart: period)
            applied[id, default: []].append(entry)
            if !dueRenewals.contains(id) {
                unexpected += 1
                note("charge for \(subscription) period \(period), which was not due")
            }
        }
        var chargedOnce = 0, succeeded = 0, declined = 0, doubles = 0, missed = 0
        for id in dueRenewals {
            let entries = applied[id] ?? []
            let moved = entries.filter { $0.status == "succeeded" }.reduce(0) { $0 + $1.count }
            if entries.isEmpty {
                missed += 1
                note("missed: \(id.subscriptionID) period \(id.periodStart) was never charged")
            } else if moved > 1 || entries.contains(where: { $0.count > 1 }) {
                doubles += 1
                note("double: \(id.subscriptionID) period \(id.periodStart) charged \(moved) times")
            } else if entries.count == 1 {
                chargedOnce += 1
                if moved == 1 { succeeded += 1 } else { declined += 1 }
            } else {
                // Several declined attempts (dunning retries with their own keys) and at most one success.
                chargedOnce += 1
                if moved == 1 { succeeded += 1 } else { declined += 1 }
            }
        }
        var unresolved = 0, mismatches = 0
        for charge in charges {
            if charge.status == .pending || charge.status == .unknown { unresolved += 1 }
            let id = RenewalID(subscriptionID: charge.subscriptionID, periodStart: charge.periodStart.iso8601)
            let ledgerSucceeded = (applied[id] ?? []).contains { $0.status == "succeeded" }
            if ledgerSucceeded != (charge.status == .succeeded), charge.status != .pending, charge.status != .unknown {
                mismatches += 1
                note(
                    "database says \(charge.status) for \(id.subscriptionID) period \(id.periodStart), the ledger \(ledgerSucceeded ? "succeeded" : "not succeeded")"
                )
            }
        }
        self.due = dueRenewals.count
        self.chargedOnce = chargedOnce
        self.succeeded = succeeded
        self.declined = declined
        self.doubleCharges = doubles
        self.missed = missed
        self.unexpected = unexpected
        self.unresolvedInDatabase = unresolved
        self.databaseMismatches = mismatches
        self.problems = problems
    }

    /// The audit as lines for a terminal.
    public var summary: String {
        var lines = [
            "renewals due          \(due)",
            "charged exactly once  \(chargedOnce)  (succeeded \(succeeded), declined \(declined))",
            "double charges        \(doubleCharges)",
            "missed                \(missed)",
            "unexpected charges    \(unexpected)",
            "unresolved in the database \(unresolvedInDatabase), database/ledger mismatches \(databaseMismatches)",
        ]
        lines += problems.prefix(10).map { "  - \($0)" }
        return lines.joined(separator: "\n")
    }
}

/// One renewal: a subscription's period, by its start (ISO 8601, as in idempotency keys).
public struct RenewalID: Hashable, Sendable, Codable {
    /// The subscription.
    public var subscriptionID: String
    /// The period start, ISO 8601 UTC.
    public var periodStart: String

    /// Creates an id.
    public init(subscriptionID: String, periodStart: String) {
        self.subscriptionID = subscriptionID
        self.periodStart = periodStart
    }
}
