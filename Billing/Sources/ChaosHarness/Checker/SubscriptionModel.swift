import Billing
import PaymentSandbox

/// Each subscription's expected history, from what the harness seeded (its overdue periods and
/// its test card) and the nodes' dunning schedule, held against the provider's ledger and the
/// subscription's final row in the billing database: the `model` signal.
///
/// - A card that succeeds: every overdue period paid once, in order; the row ends active with
///   its period end right after the last one, and no failed attempts.
/// - A soft decline: the first overdue period tried once per dunning step (the first key, then
///   `:retry-1`, `:retry-2`, ...), each step once, none before its time (the previous attempt's
///   application plus the schedule's gap); nothing for a later period; the row ends canceled.
/// - A hard decline: one attempt, no retry; the row ends canceled.
struct SubscriptionModel {
    /// A subscription's row at the end of the run.
    struct FinalRow: Sendable {
        var status: String
        var periodEndMs: Int64
        var failedAttempts: Int64
    }

    struct Findings: Codable, Sendable {
        var subscriptionsChecked = 0
        /// Dunning retries the ledger shows (attempts after a subscription's first for a period).
        var dunningRetries = 0
        /// Renewals beyond a subscription's first (catching-up periods after the first).
        var laterRenewals = 0
        var departures = 0
        var violations: [String] = []
    }

    var seeded: [RenewalSeeder.Seeded]
    var ledger: [LedgerEntry]
    var rows: [String: FinalRow]
    var dunning: DunningSchedule
    /// How much earlier than the schedule a retry may reach the provider: the billing clock is
    /// the database server's, the ledger's the sandbox's, on one host.
    var tolerance: Int64 = 100

    func check() -> Findings {
        var findings = Findings()
        func departure(_ text: String) {
            findings.departures += 1
            if findings.violations.count < 20 { findings.violations.append("model: \(text)") }
        }
        let bySubscription = Dictionary(grouping: ledger) { $0.metadata["subscription_id"] ?? "" }
        for item in seeded {
            let id = item.subscription.id
            findings.subscriptionsChecked += 1
            let entries = (bySubscription[id] ?? []).sorted { $0.appliedAtMs < $1.appliedAtMs }
            guard let row = rows[id] else {
                departure("\(id) has no row in the billing database")
                continue
            }
            findings.laterRenewals += max(0, Set(entries.compactMap { $0.metadata["period_start"] }).count - 1)
            switch item.scenario {
            case .succeeds:
                guard let last = item.duePeriodStarts.last,
                    let end = try? BillingCalendar.periodEnd(
                        startingAt: last, anchor: item.subscription.billingCycleAnchor, interval: item.subscription.plan.interval)
                else { continue }
                if row.status != "active" || row.periodEndMs != end.millisecondsSinceEpoch || row.failedAttempts != 0 {
                    departure(
                        "\(id) (card succeeds, \(item.duePeriodStarts.count) periods due) ended \(row.status) with period end \(row.periodEndMs) and \(row.failedAttempts) failed attempts; expected active, \(end.millisecondsSinceEpoch), 0"
                    )
                }
            case .expiredCard:
                if entries.count != 1 { departure("\(id) (hard decline) was tried \(entries.count) times; expected once, never retried") }
                if row.status != "canceled" { departure("\(id) (hard decline) ended \(row.status); expected canceled") }
            default:
                let (retries, departures) = checkDunning(item, entries: entries, row: row)
                findings.dunningRetries += retries
                departures.forEach(departure)
            }
        }
        return findings
    }

    /// A soft decline's attempts against the schedule: the retries seen, and each departure.
    private func checkDunning(_ item: RenewalSeeder.Seeded, entries: [LedgerEntry], row: FinalRow) -> (retries: Int, departures: [String]) {
        var retries = 0
        var departures: [String] = []
        func departure(_ text: String) { departures.append(text) }
        let id = item.subscription.id
        let first = item.subscription.billingCycleAnchor
        let attempts = dunning.maximumAttempts
        if let other = entries.first(where: { $0.metadata["period_start"] != first.iso8601 }) {
            departure("\(id) (soft decline) was charged for period \(other.metadata["period_start"] ?? "?") after its first period failed")
        }
        var previous: LedgerEntry?
        for attempt in 1...attempts {
            let key = Subscription.idempotencyKey(subscriptionID: id, periodStart: first, attempt: attempt)
            let tries = entries.filter { $0.idempotencyKey == key }
            guard let entry = tries.first else {
                departure("\(id) (soft decline) has no attempt \(attempt) of \(attempts) (key \(key))")
                break
            }
            if tries.count > 1 || entry.count > 1 { departure("\(id)'s attempt \(attempt) reached the provider \(tries.count) times") }
            if attempt > 1 {
                retries += 1
                if let previous,
                    let gap = dunning.nextAttempt(afterFailedAttempts: attempt - 1, failedAt: Timestamp(millisecondsSinceEpoch: 0))?
                        .millisecondsSinceEpoch, entry.appliedAtMs + tolerance < previous.appliedAtMs + gap
                {
                    departure(
                        "\(id)'s attempt \(attempt) came \(entry.appliedAtMs - previous.appliedAtMs) ms after attempt \(attempt - 1); the schedule waits \(gap) ms"
                    )
                }
            }
            previous = entry
        }
        if entries.count > attempts { departure("\(id) (soft decline) was tried \(entries.count) times; the schedule allows \(attempts)") }
        if row.status != "canceled" { departure("\(id) (soft decline) ended \(row.status) after its last failed step; expected canceled") }
        return (retries, departures)
    }

    /// The query whose rows ``parseRows(_:)`` reads.
    static let rowsQuery = "SELECT id, status, period_end_ms, failed_attempts FROM subscriptions"

    /// Reads `psql -At -F '\t'` output of ``rowsQuery``.
    static func parseRows(_ output: String) throws -> [String: FinalRow] {
        var rows: [String: FinalRow] = [:]
        for line in output.split(separator: "\n") {
            let fields = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            guard fields.count == 4, let end = Int64(fields[2]), let failed = Int64(fields[3]) else {
                throw HarnessError("the billing database's subscriptions have a malformed row: '\(line)'")
            }
            rows[fields[0]] = FinalRow(status: fields[1], periodEndMs: end, failedAttempts: failed)
        }
        return rows
    }
}
