import LeaderElection

/// The billing database: subscriptions, the charge ledger and the fence.
///
/// Every method the renewal engine writes with takes a ``Fence`` and runs in one transaction that
/// first checks the fence: the write applies only if the fence's token is at least the highest the
/// store has seen for its election (raising the stored highest), and otherwise fails with
/// ``BillingError/Code/staleFencingToken``. Reads are not fenced. Subscription management
/// (``saveSubscription(_:)``) is not the engine's and is not fenced either.
///
/// Implementations: ``SQLiteBillingStore`` (embedded default) and ``PostgresBillingStore``, with one
/// schema and versioned migrations applied when opened. Not guaranteed: serializability between
/// ``saveSubscription(_:)`` and a renewal in progress (the renewal's guarded write detects the
/// change and fails with ``BillingError/Code/concurrentModification``).
public protocol BillingStore: Sendable {
    /// The database's current time: the clock every replica agrees on (see ``DatabaseBillingClock``).
    func currentTime() async throws -> Timestamp

    /// Inserts or replaces a subscription row, as given (invalid rows included: imports happen),
    /// bumping its version. For changes to a live subscription use the targeted, conditional
    /// ``createSubscription(_:recording:)`` and ``changeSubscription(id:ifVersion:_:)`` instead.
    func saveSubscription(_ subscription: StoredSubscription) async throws
    /// Inserts a new subscription row and, with `recording`, records the creation under its
    /// idempotency key, in one transaction.
    /// - Throws: ``BillingError/Code/transitionNotAllowed`` when a row with its id exists, or
    ///   ``BillingError/Code/idempotencyKeyReused`` when the key is recorded already (nothing is changed).
    func createSubscription(_ subscription: StoredSubscription, recording: RecordedCreation?) async throws
    /// The creation recorded under `idempotencyKey`, if any.
    func recordedCreation(idempotencyKey: String) async throws -> RecordedCreation?
    /// Applies `change` (``SubscriptionChange/applied(to:at:)``, at the store's time) in one write
    /// conditional on the row's version: the version read, which must be `ifVersion` when given.
    /// Bumps the version and returns the row as written.
    /// - Throws: ``BillingError/Code/subscriptionNotFound``, ``BillingError/Code/versionMismatch``,
    ///   ``BillingError/Code/transitionNotAllowed``; ``BillingError/Code/concurrentModification``
    ///   when the row kept changing under a few attempts.
    func changeSubscription(id: String, ifVersion: Int64?, _ change: SubscriptionChange) async throws -> StoredSubscription
    /// Records a verified webhook delivery and, when `settling` is given, applies it in the same
    /// transaction: the charge only while it is still open under the record's key (its fencing
    /// token is left as the engine wrote it), the subscription only while it is as the record
    /// expects (version included), as the renewal engine's step (c) does, but not fenced: a
    /// webhook is the provider's word, accepted by any node. An event recorded before is not
    /// applied again (``WebhookSettlement/duplicate``, or ``WebhookSettlement/replay`` for the same
    /// signature time).
    /// - Throws: ``BillingError/Code/concurrentModification`` when the subscription is not as the
    ///   record expects (nothing is written, the delivery is not recorded: decide again).
    func recordWebhook(_ delivery: WebhookDelivery, settling record: RenewalRecord?) async throws -> WebhookSettlement
    /// The outbox's events in sequence order after `sequence` (from the first when nil), at most
    /// `limit`, only `subscriptionID`'s when given. The database writes an event in the
    /// transaction of each change it stands for, whoever writes it (see ``BillingEvent/type``).
    func events(after sequence: Int64?, subscriptionID: String?, limit: Int) async throws -> [BillingEvent]
    /// What to deliver next at `now`: the oldest undelivered events, in sequence order, at most
    /// `limit`, without any of a subscription's events that follow one still waiting for its retry.
    func deliverableEvents(at now: Timestamp, limit: Int) async throws -> [BillingEvent]
    /// Records that every endpoint accepted these events.
    func markEventsDelivered(_ sequences: [Int64], at now: Timestamp) async throws
    /// Records a failed delivery attempt of an event: `error`, and not before `retryAt` again.
    func markEventFailed(_ sequence: Int64, error: String, retryAt: Timestamp) async throws
    /// Queues the events from `first` through `last` (only `subscriptionID`'s when given) for
    /// delivery again, delivered or not, with their ids; returns how many.
    func requeueEvents(from first: Int64, through last: Int64, subscriptionID: String?, at now: Timestamp) async throws -> Int
    /// How many events wait for delivery, and since when.
    func outboxBacklog() async throws -> OutboxBacklog
    /// Deletes the events every endpoint accepted before `instant` (undelivered ones stay, whatever
    /// their age); returns how many.
    func pruneEvents(deliveredBefore instant: Timestamp) async throws -> Int
    /// Subscriptions in id order after the id `after`, at most `limit`, only those whose status is
    /// `status` when given, as stored.
    func subscriptions(status: String?, after: String?, limit: Int) async throws -> [StoredSubscription]
    /// Charges with a review reason (parked, or succeeded and flagged for a refund review), at
    /// most `limit`, in (subscription, period) order.
    func chargesInReview(limit: Int) async throws -> [Charge]
    /// How many charges have a review reason (what ``chargesInReview(limit:)`` would list), counted by the database.
    func countChargesInReview() async throws -> Int
    /// Settles a charge parked for review, in one transaction: the charge (still open and parked
    /// under the key, or nothing is written) gets the operator's outcome, its subscription moves
    /// as the engine would have moved it, and the settlement is appended to the audit table
    /// `charge_resolutions`. Returns the charge as written.
    /// - Throws: ``BillingError/Code/invalidSubscription`` when no parked charge has the key.
    func resolveCharge(_ resolution: ChargeResolution) async throws -> Charge

    /// The subscription row with `id`, if any.
    func subscription(id: String) async throws -> StoredSubscription?

    /// The charge whose current idempotency key is `idempotencyKey`, if any.
    func charge(idempotencyKey: String) async throws -> Charge?

    /// Every charge of a subscription, oldest period first.
    func charges(subscriptionID: String) async throws -> [Charge]

    /// A page of the whole ledger in (subscription id, period start) order, for audits.
    func charges(after cursor: ChargeCursor?, limit: Int) async throws -> [Charge]

    /// The highest fencing token the store has seen for `election`, if any.
    func highestFencingToken(election: String) async throws -> FencingToken?

    /// Checks the fence and raises the stored highest token to it (a leader does this first).
    /// - Throws: ``BillingError/Code/staleFencingToken`` when a higher token was seen.
    func claimFence(_ fence: Fence) async throws

    /// Subscriptions whose next due instant is at or before `now`, in due order (due instant, then
    /// id), starting after `cursor`, at most `limit` of them, as stored (not validated).
    func dueSubscriptions(at now: Timestamp, after cursor: DueCursor?, limit: Int) async throws -> [StoredSubscription]

    /// Charges still ``ChargeStatus/pending`` or ``ChargeStatus/unknown`` and not parked, after
    /// `cursor`, at most `limit`; with `readyAt`, only those not waiting past it (``Charge/nextSendAt``):
    /// a charge that waits hours for a bank or a customer is not read on every pass.
    func unresolvedCharges(readyAt: Timestamp?, after cursor: ChargeCursor?, limit: Int) async throws -> [Charge]

    /// Step (a): in one fenced transaction, writes the pending charge of `intent` and returns the row.
    ///
    /// When the period already has a row, it is returned as it is, except that a
    /// ``ChargeStatus/failed`` row from an earlier attempt becomes `pending` with the intent's key
    /// and attempt number. The caller calls the provider with the returned row's key and amount.
    func beginCharge(_ intent: ChargeIntent, fence: Fence, at now: Timestamp) async throws -> Charge

    /// Step (c): in one fenced transaction, records a charge outcome and applies a subscription
    /// transition.
    /// - Throws: ``BillingError/Code/concurrentModification`` when the charge row no longer has the
    ///   record's key or the subscription no longer has the expected period and attempt count (nothing
    ///   is written then); ``BillingError/Code/staleFencingToken``.
    func recordRenewal(_ record: RenewalRecord, fence: Fence, at now: Timestamp) async throws

    /// Whether ``beginCharges(_:fence:at:)`` and ``recordRenewals(_:fence:at:)`` write a batch for
    /// less than its rows one by one; the engine groups its writes only then. Default: false.
    var writesInBatches: Bool { get }

    /// Step (a) for many renewals: one result per intent, in order, each as
    /// ``beginCharge(_:fence:at:)`` would have answered it. A stale fence fails every row.
    /// Default: the intents one by one.
    /// - Throws: when the batch as a whole could not be written (the database unreachable).
    func beginCharges(_ intents: [ChargeIntent], fence: Fence, at now: Timestamp) async throws -> [Result<Charge, any Error>]

    /// Step (c) for many renewals of distinct subscriptions: one result per record, in order, each
    /// as ``recordRenewal(_:fence:at:)`` would have answered it (a concurrent modification fails
    /// only its own record; a stale fence fails every record). Default: the records one by one.
    /// - Throws: when the batch as a whole could not be written (the database unreachable).
    func recordRenewals(_ records: [RenewalRecord], fence: Fence, at now: Timestamp) async throws -> [Result<Void, any Error>]
}

extension BillingStore {
    /// Every open charge (see ``unresolvedCharges(readyAt:after:limit:)``), waiting or not.
    public func unresolvedCharges(after cursor: ChargeCursor?, limit: Int) async throws -> [Charge] {
        try await unresolvedCharges(readyAt: nil, after: cursor, limit: limit)
    }

    /// Cancels a subscription now, or at the end of its paid period (``SubscriptionChange/cancel(atPeriodEnd:)``),
    /// in one conditional update that bumps the version, so that a renewal in flight cannot undo
    /// it. Returns the row as written.
    public func cancelSubscription(id: String, atPeriodEnd: Bool) async throws -> StoredSubscription {
        try await changeSubscription(id: id, ifVersion: nil, .cancel(atPeriodEnd: atPeriodEnd))
    }

    /// Inserts a new subscription row (see ``createSubscription(_:recording:)``).
    public func createSubscription(_ subscription: StoredSubscription) async throws {
        try await createSubscription(subscription, recording: nil)
    }
}
