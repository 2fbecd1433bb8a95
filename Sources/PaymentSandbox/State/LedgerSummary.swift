/// Totals over the ledger, for audits at a glance.
public struct LedgerSummary: Sendable, Hashable, Codable {
    /// Ledger entries (charges applied).
    public var charges: Int
    /// Entries whose money moved.
    public var succeeded: Int
    /// Entries that were declined.
    public var declined: Int
    /// Distinct idempotency keys among the entries.
    public var keys: Int
    /// Entries with a `count` other than 1: keys applied more than once (must be 0).
    public var keysAppliedMoreThanOnce: Int
    /// Succeeded amounts in minor units per lowercase currency.
    public var succeededAmounts: [String: Int64]

    /// Sums up `entries`.
    public init(entries: [LedgerEntry]) {
        charges = entries.count
        succeeded = entries.count { $0.status == "succeeded" }
        declined = entries.count { $0.status == "declined" }
        keys = Set(entries.compactMap { $0.idempotencyKey.map { "\($0)" } }).count
        keysAppliedMoreThanOnce = entries.count { $0.count != 1 }
        var amounts: [String: Int64] = [:]
        for entry in entries where entry.status == "succeeded" { amounts[entry.currency, default: 0] += entry.amount }
        succeededAmounts = amounts
    }

    enum CodingKeys: String, CodingKey {
        case charges, succeeded, declined, keys
        case keysAppliedMoreThanOnce = "keys_applied_more_than_once"
        case succeededAmounts = "succeeded_amounts"
    }
}
