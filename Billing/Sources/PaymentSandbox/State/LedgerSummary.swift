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
    /// Keys applied more than once: a key with several entries (forgotten after its retention
    /// and charged again) or an entry with a `count` other than 1. Must be 0.
    public var keysAppliedMoreThanOnce: Int
    /// Succeeded amounts in minor units per lowercase currency.
    public var succeededAmounts: [String: Int64]

    /// Sums up `entries`.
    public init(entries: [LedgerEntry]) {
        charges = entries.count
        succeeded = entries.count { $0.status == "succeeded" }
        declined = entries.count { $0.status == "declined" }
        keys = Set(entries.compactMap { $0.idempotencyKey.map { "\($0)" } }).count
        var applications: [String: Int] = [:]
        var unkeyedRepeats = 0
        for entry in entries {
            if let key = entry.idempotencyKey {
                applications[entry.provider + " " + key, default: 0] += entry.count
            } else if entry.count != 1 {
                unkeyedRepeats += 1
            }
        }
        keysAppliedMoreThanOnce = applications.values.count { $0 > 1 } + unkeyedRepeats
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
