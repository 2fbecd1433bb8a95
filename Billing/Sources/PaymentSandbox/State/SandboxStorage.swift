import Foundation

/// Everything the sandbox remembers; only touched under ``SandboxState``'s lock.
struct SandboxStorage {
    /// What the idempotency layer knows about one key.
    enum KeyRecord {
        /// A request with the key is being processed.
        case inFlight(fingerprint: String)
        /// The key's first answer, replayed to every retry until the key's retention has passed
        /// since `at` (on the sandbox clock, ``now``).
        case completed(fingerprint: String, response: SavedResponse, requestID: String, at: ContinuousClock.Instant)
    }

    var keys: [IdempotencyScope: KeyRecord] = [:]
    /// Stripe PaymentIntents by id.
    var paymentIntents: [String: StripePaymentIntent] = [:]
    /// The ids of ``paymentIntents`` in the order they were created (search answers newest first).
    var paymentIntentOrder: [String] = []
    /// PayPal orders by id: the JSON object as answered.
    var orders: [String: [UInt8]] = [:]
    /// PayPal captures as Transaction Search lists them, in the order they were made.
    var payPalTransactions: [PayPalTransaction] = []
    /// Issued PayPal access tokens and when they expire (on the sandbox clock).
    var payPalTokens: [String: ContinuousClock.Instant] = [:]
    var ledger: [LedgerEntry] = []
    /// The ledger entry of each key's latest application.
    var ledgerIndex: [IdempotencyScope: Int] = [:]
    var statistics = SandboxStatistics()
    /// Webhook events made under the lock, sent once it is released.
    var outgoingWebhooks: [OutgoingWebhook] = []
    var faults: FaultRates
    var random: SplitMix64
    /// How far the sandbox clock runs ahead of the monotonic clock (``PaymentSandboxServer/advanceClock(by:)``).
    var clockOffset: Duration = .zero

    init(faults: FaultRates) {
        self.faults = faults
        self.random = SplitMix64(seed: faults.seed)
    }

    /// The sandbox clock: the monotonic clock plus ``clockOffset``. Key retention and token
    /// expiry are measured on it, so tests can move time forward without waiting.
    var now: ContinuousClock.Instant { ContinuousClock.now + clockOffset }

    /// Keeps a new PaymentIntent.
    mutating func store(_ intent: StripePaymentIntent) {
        if paymentIntents.updateValue(intent, forKey: intent.id) == nil { paymentIntentOrder.append(intent.id) }
    }

    /// Queues the webhook event that `intent`'s current status stands for, if any.
    mutating func announce(_ intent: StripePaymentIntent) {
        let type: String? =
            switch intent.status {
            case "succeeded": "payment_intent.succeeded"
            case "processing": "payment_intent.processing"
            case "requires_action": "payment_intent.requires_action"
            case "requires_payment_method" where intent.lastPaymentError != nil: "payment_intent.payment_failed"
            default: nil
            }
        if let type { outgoingWebhooks.append(.stripe(type: type, object: intent.json.bytes)) }
    }

    /// Queues PayPal's event about `capture` (its JSON), by its status (`COMPLETED`, `DECLINED`, `DENIED`, `PENDING`).
    mutating func announcePayPalCapture(status: String, capture: [UInt8]) {
        outgoingWebhooks.append(.payPal(type: "PAYMENT.CAPTURE.\(status)", resource: capture))
    }

    /// Forgets `scope`'s record if it completed at least `retention` ago on the sandbox clock;
    /// returns whether it did. The objects and ledger entries it made stay.
    mutating func forgetIfExpired(_ scope: IdempotencyScope, retention: Duration) -> Bool {
        guard case .completed(_, _, _, let at) = keys[scope], now - at >= retention else { return false }
        keys[scope] = nil
        // The next application of the key is a new charge: a ledger entry of its own.
        ledgerIndex[scope] = nil
        statistics.keysForgotten += 1
        return true
    }

    /// Adds a ledger entry (or counts a second application of the same key while the key is
    /// remembered, which would be a bug).
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
