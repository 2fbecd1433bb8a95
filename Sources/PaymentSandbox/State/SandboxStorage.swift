import Foundation

/// Everything the sandbox remembers; only touched under ``SandboxState``'s lock.
struct SandboxStorage {
    /// What the idempotency layer knows about one key.
    enum KeyRecord {
        /// A request with the key is being processed.
        case inFlight(fingerprint: String)
        /// The key's first answer, replayed to every retry.
        case completed(fingerprint: String, response: SavedResponse, requestID: String)
    }

    var keys: [IdempotencyScope: KeyRecord] = [:]
    /// Stripe PaymentIntents by id.
    var paymentIntents: [String: StripePaymentIntent] = [:]
    /// PayPal orders by id: the JSON object as answered.
    var orders: [String: [UInt8]] = [:]
    /// Issued PayPal access tokens and when they expire.
    var payPalTokens: [String: ContinuousClock.Instant] = [:]
    var ledger: [LedgerEntry] = []
    var ledgerIndex: [IdempotencyScope: Int] = [:]
    var statistics = SandboxStatistics()
    var faults: FaultRates
    var random: SplitMix64

    init(faults: FaultRates) {
        self.faults = faults
        self.random = SplitMix64(seed: faults.seed)
    }

    /// Adds a ledger entry (or counts a second application of the same key, which would be a bug).
    mutating func recordCharge(_ entry: LedgerEntry, scope: IdempotencyScope?) {
        statistics.chargesApplied += 1
        if let scope, let index = ledgerIndex[scope] {
            ledger[index].count += 1
            return
        }
        if let scope { ledgerIndex[scope] = ledger.count }
        ledger.append(entry)
    }
}
