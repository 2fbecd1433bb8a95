import Billing
import PaymentSandbox

/// The run's audit: what the sandbox's ledger and the billing database say together.
struct Audit: Codable, Sendable {
    /// Subscriptions that were due.
    var due: Int
    /// Due subscriptions charged exactly once (one succeeded ledger entry for the period, recorded as succeeded).
    var chargedOnce: Int
    /// Periods with more than one succeeded ledger entry, or a key applied more than once.
    var doubleCharges: Int
    /// Due subscriptions without a succeeded charge.
    var missed: Int
    /// Ledger entries whose key the database does not know.
    var unknownToTheDatabase: Int

    var isClean: Bool { doubleCharges == 0 && missed == 0 && unknownToTheDatabase == 0 && chargedOnce == due }

    static func make(store: any BillingStore, ledger: [LedgerEntry], expectedSubscriptions: Int) async throws -> Audit {
        var charges: [Charge] = []
        var cursor: ChargeCursor?
        while true {
            let page = try await store.charges(after: cursor, limit: 5000)
            guard let last = page.last else { break }
            charges += page
            cursor = ChargeCursor(after: last)
        }
        let keys = Set(charges.map(\.idempotencyKey))
        var perPeriod: [String: Int] = [:]
        var double = 0
        var unknown = 0
        for entry in ledger {
            if entry.count != 1 { double += 1 }
            if !keys.contains(entry.idempotencyKey ?? "") { unknown += 1 }
            if entry.status == "succeeded" {
                perPeriod["\(entry.metadata["subscription_id"] ?? "?")@\(entry.metadata["period_start"] ?? "?")", default: 0] += entry.count
            }
        }
        double += perPeriod.values.filter { $0 > 1 }.count
        let recorded = Set(charges.filter { $0.status == .succeeded }.map { "\($0.subscriptionID)@\($0.periodStart.iso8601)" })
        let once = perPeriod.filter { $0.value == 1 && recorded.contains($0.key) }.count
        return Audit(
            due: expectedSubscriptions, chargedOnce: once, doubleCharges: double,
            missed: expectedSubscriptions - perPeriod.count, unknownToTheDatabase: unknown
        )
    }
}

/// The figures of one run.
struct RunResult: Codable, Sendable {
    var store: String
    var latencyMilliseconds: Int
    var subscriptions: Int
    var concurrency: Int
    var seedSeconds: Double
    var seconds: Double
    var charged: Int
    var renewalsPerSecond: Double
    var audit: Audit

    var line: String {
        let rate = (renewalsPerSecond * 10).rounded() / 10
        return "\(store) latency \(latencyMilliseconds) ms: \(charged) renewals in \(String(format: "%.2f", seconds)) s = \(rate) renewals/s (concurrency \(concurrency); seeding took \(String(format: "%.1f", seedSeconds)) s); audit: due \(audit.due), charged once \(audit.chargedOnce), double \(audit.doubleCharges), missed \(audit.missed), unknown to the database \(audit.unknownToTheDatabase)"
    }
}
