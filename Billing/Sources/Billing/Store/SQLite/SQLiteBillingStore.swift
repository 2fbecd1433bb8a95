import LeaderElection
import Logging

/// The embedded billing store: one SQLite file (WAL mode), shared by the processes of one host.
///
/// Opening applies the schema migrations. Transactions take the file's write lock at once
/// (`BEGIN IMMEDIATE`), so engine writes and their fence checks serialize across processes.
/// ``currentTime()`` is the host's wall clock: all processes using the file share it. Not
/// guaranteed: use from several hosts (SQLite over a network filesystem is not safe).
public final class SQLiteBillingStore: BillingStore {
    /// The default time a transaction waits for another process's write lock: 5 s.
    public static let defaultBusyTimeout: Duration = .seconds(5)

    /// The file's path, as given.
    public let path: String
    private let database: SQLiteDatabase
    private let ledger: SQLLedger

    private init(path: String, database: SQLiteDatabase) {
        self.path = path
        self.database = database
        self.ledger = SQLLedger(database: database)
    }

    /// Opens (creating if needed) the store at `path` and migrates its schema.
    /// - Parameters:
    ///   - path: The database file.
    ///   - busyTimeout: How long a transaction waits for another process's lock; default ``defaultBusyTimeout``.
    ///   - logger: Receives SQLiteNIO's diagnostics.
    /// - Throws: ``BillingError`` saying why the file cannot be used.
    public static func open(path: String, busyTimeout: Duration = defaultBusyTimeout, logger: Logger) async throws -> SQLiteBillingStore {
        let database = try await SQLiteDatabase.open(path: path, busyTimeout: busyTimeout, logger: logger)
        let store = SQLiteBillingStore(path: path, database: database)
        do {
            try await store.ledger.migrate()
        } catch {
            try? await database.close()
            throw error
        }
        return store
    }

    /// Waits for the running transaction, then closes the file. Later calls do nothing.
    public func close() async throws {
        try await database.close()
    }

    /// The host's wall clock: every process sharing the file reads the same one.
    public func currentTime() async throws -> Timestamp { SystemBillingClock.read() }

    public func saveSubscription(_ subscription: StoredSubscription) async throws {
        try await ledger.saveSubscription(subscription, now: SystemBillingClock.read())
    }

    public func createSubscription(_ subscription: StoredSubscription, recording: RecordedCreation?) async throws {
        try await ledger.createSubscription(subscription, recording: recording, now: SystemBillingClock.read())
    }

    public func recordedCreation(idempotencyKey: String) async throws -> RecordedCreation? {
        try await ledger.recordedCreation(idempotencyKey: idempotencyKey)
    }

    public func changeSubscription(id: String, ifVersion: Int64?, _ change: SubscriptionChange) async throws -> StoredSubscription {
        try await ledger.changeSubscription(id: id, ifVersion: ifVersion, change, now: SystemBillingClock.read())
    }

    public func recordWebhook(_ delivery: WebhookDelivery, settling record: RenewalRecord?) async throws -> WebhookSettlement {
        try await ledger.recordWebhook(delivery, settling: record, now: SystemBillingClock.read())
    }

    public func charge(idempotencyKey: String) async throws -> Charge? {
        try await ledger.charge(idempotencyKey: idempotencyKey)
    }

    public func events(after sequence: Int64?, subscriptionID: String?, limit: Int) async throws -> [BillingEvent] {
        try await ledger.events(after: sequence, subscriptionID: subscriptionID, limit: limit)
    }

    public func deliverableEvents(at now: Timestamp, limit: Int) async throws -> [BillingEvent] {
        try await ledger.deliverableEvents(at: now, limit: limit)
    }

    public func markEventsDelivered(_ sequences: [Int64], at now: Timestamp) async throws {
        try await ledger.markEventsDelivered(sequences, at: now)
    }

    public func markEventFailed(_ sequence: Int64, error: String, retryAt: Timestamp) async throws {
        try await ledger.markEventFailed(sequence, error: error, retryAt: retryAt)
    }

    public func requeueEvents(from first: Int64, through last: Int64, subscriptionID: String?, at now: Timestamp) async throws -> Int {
        try await ledger.requeueEvents(from: first, through: last, subscriptionID: subscriptionID, at: now)
    }

    public func pruneEvents(deliveredBefore instant: Timestamp) async throws -> Int {
        try await ledger.pruneEvents(deliveredBefore: instant)
    }

    public func outboxBacklog() async throws -> OutboxBacklog {
        try await ledger.outboxBacklog()
    }

    public func subscriptions(status: String?, after: String?, limit: Int) async throws -> [StoredSubscription] {
        try await ledger.subscriptions(status: status, after: after, limit: limit)
    }

    public func chargesInReview(limit: Int) async throws -> [Charge] {
        try await ledger.chargesInReview(limit: limit)
    }

    public func countChargesInReview() async throws -> Int {
        try await ledger.countChargesInReview()
    }

    public func resolveCharge(_ resolution: ChargeResolution) async throws -> Charge {
        try await ledger.resolveCharge(resolution, now: SystemBillingClock.read())
    }

    public func subscription(id: String) async throws -> StoredSubscription? {
        try await ledger.subscription(id: id)
    }

    public func charges(subscriptionID: String) async throws -> [Charge] {
        try await ledger.charges(subscriptionID: subscriptionID)
    }

    public func charges(after cursor: ChargeCursor?, limit: Int) async throws -> [Charge] {
        try await ledger.charges(after: cursor, limit: limit, unresolvedOnly: false)
    }

    public func highestFencingToken(election: String) async throws -> FencingToken? {
        try await ledger.highestFencingToken(election: election)
    }

    public func claimFence(_ fence: Fence) async throws {
        try await ledger.claimFence(fence)
    }

    public func dueSubscriptions(at now: Timestamp, after cursor: DueCursor?, limit: Int) async throws -> [StoredSubscription] {
        try await ledger.dueSubscriptions(at: now, after: cursor, limit: limit)
    }

    public func unresolvedCharges(readyAt: Timestamp?, after cursor: ChargeCursor?, limit: Int) async throws -> [Charge] {
        try await ledger.charges(after: cursor, limit: limit, unresolvedOnly: true, readyAt: readyAt)
    }

    public func beginCharge(_ intent: ChargeIntent, fence: Fence, at now: Timestamp) async throws -> Charge {
        try await ledger.beginCharge(intent, fence: fence, now: now)
    }

    public func recordRenewal(_ record: RenewalRecord, fence: Fence, at now: Timestamp) async throws {
        try await ledger.recordRenewal(record, fence: fence, now: now)
    }
}
