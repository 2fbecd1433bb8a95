import BillingNode

/// The figures of one run.
struct RunResult: Codable, Sendable {
    var store: String
    var latencyMilliseconds: Int
    var subscriptions: Int
    var concurrency: Int
    /// The PostgreSQL pool's size; nil for SQLite.
    var connections: Int?
    var seedSeconds: Double
    var seconds: Double
    var charged: Int
    var renewalsPerSecond: Double
    var audit: ChargeAudit

    var line: String {
        let rate = (renewalsPerSecond * 10).rounded() / 10
        return
            "\(store) latency \(latencyMilliseconds) ms: \(charged) renewals in \(String(format: "%.2f", seconds)) s = \(rate) renewals/s (concurrency \(concurrency)\(connections.map { ", \($0) connections" } ?? ""); seeding took \(String(format: "%.1f", seedSeconds)) s); audit: due \(audit.due), charged once \(audit.chargedOnce), double \(audit.doubleCharges), missed \(audit.missed), unexpected \(audit.unexpected), unresolved \(audit.unresolvedInDatabase), database/ledger mismatches \(audit.databaseMismatches)"
    }
}
