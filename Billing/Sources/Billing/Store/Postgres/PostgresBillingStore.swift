import LeaderElection
import Logging
import PostgresNIO
import ServiceLifecycle

/// The billing store on PostgreSQL, for replicas on several hosts.
///
/// A ServiceLifecycle `Service`: ``run()`` runs its connection pool, and must be running while the
/// store is used; ``migrate()`` then applies the schema migrations (replicas that start together
/// take turns on an advisory lock). ``withStore(configuration:logger:_:)`` does both around a body.
/// ``currentTime()`` is the server's clock, the one all replicas agree on. Not guaranteed: TLS (the
/// connection is plain; keep the database on a private network or loopback).
public final class PostgresBillingStore: BillingStore, Service {
    /// Where the database is and how to log in.
    public let configuration: Configuration
    private let client: PostgresClient
    private let ledger: SQLLedger
    private let calls: BillingStoreCalls

    /// Creates a store; nothing connects before ``run()``.
    public init(configuration: Configuration, logger: Logger) {
        self.configuration = configuration
        var clientConfiguration = PostgresClient.Configuration(
            host: configuration.host, port: configuration.port, username: configuration.username,
            password: configuration.password, database: configuration.database, tls: .disable
        )
        clientConfiguration.options.maximumConnections = configuration.maximumConnections
        let idleMilliseconds = configuration.idleInTransactionTimeout / .milliseconds(1)
        clientConfiguration.options.additionalStartupParameters = [("idle_in_transaction_session_timeout", String(Int64(idleMilliseconds)))]
        if let applicationName = configuration.applicationName {
            clientConfiguration.options.additionalStartupParameters.append(("application_name", applicationName))
        }
        let client = PostgresClient(configuration: clientConfiguration, backgroundLogger: logger)
        self.client = client
        self.ledger = SQLLedger(database: PostgresDatabase(displayName: configuration.displayName, client: client, logger: logger))
        self.calls = BillingStoreCalls(timeLimit: configuration.callTimeLimit, databaseName: configuration.displayName)
    }

    /// Runs the connection pool until cancelled (or graceful shutdown, under a ServiceGroup).
    public func run() async throws {
        await cancelWhenGracefulShutdown {
            await self.client.run()
        }
    }

    /// Applies the schema migrations; call once ``run()`` is running.
    public func migrate() async throws {
        try await ledger.migrate()
    }

    /// Runs the pool, migrates, calls `body` with the store, and stops the pool when `body` returns.
    public static func withStore<Result: Sendable>(
        configuration: Configuration,
        logger: Logger,
        _ body: (PostgresBillingStore) async throws -> Result
    ) async throws -> Result {
        let store = PostgresBillingStore(configuration: configuration, logger: logger)
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await store.run() }
            defer { group.cancelAll() }
            try await store.migrate()
            return try await body(store)
        }
    }

    /// The database server's clock, in whole milliseconds.
    public func currentTime() async throws -> Timestamp {
        try await calls.run { [ledger] in try await ledger.databaseTime() }
    }

    public func saveSubscription(_ subscription: StoredSubscription) async throws {
        let now = try await currentTime()
        try await calls.run { [ledger] in try await ledger.saveSubscription(subscription, now: now) }
    }

    public func createSubscription(_ subscription: StoredSubscription, recording: RecordedCreation?) async throws {
        let now = try await currentTime()
        try await calls.run { [ledger] in try await ledger.createSubscription(subscription, recording: recording, now: now) }
    }

    public func recordedCreation(idempotencyKey: String) async throws -> RecordedCreation? {
        try await calls.run { [ledger] in try await ledger.recordedCreation(idempotencyKey: idempotencyKey) }
    }

    public func changeSubscription(id: String, ifVersion: Int64?, _ change: SubscriptionChange) async throws -> StoredSubscription {
        let now = try await currentTime()
        return try await calls.run { [ledger] in try await ledger.changeSubscription(id: id, ifVersion: ifVersion, change, now: now) }
    }

    public func recordWebhook(_ delivery: WebhookDelivery, settling record: RenewalRecord?) async throws -> WebhookSettlement {
        let now = try await currentTime()
        return try await calls.run { [ledger] in try await ledger.recordWebhook(delivery, settling: record, now: now) }
    }

    public func charge(idempotencyKey: String) async throws -> Charge? {
        try await calls.run { [ledger] in try await ledger.charge(idempotencyKey: idempotencyKey) }
    }

    public func events(after sequence: Int64?, subscriptionID: String?, limit: Int) async throws -> [BillingEvent] {
        try await calls.run { [ledger] in try await ledger.events(after: sequence, subscriptionID: subscriptionID, limit: limit) }
    }

    public func deliverableEvents(at now: Timestamp, limit: Int) async throws -> [BillingEvent] {
        try await calls.run { [ledger] in try await ledger.deliverableEvents(at: now, limit: limit) }
    }

    public func markEventsDelivered(_ sequences: [Int64], at now: Timestamp) async throws {
        try await calls.run { [ledger] in try await ledger.markEventsDelivered(sequences, at: now) }
    }

    public func markEventFailed(_ sequence: Int64, error: String, retryAt: Timestamp) async throws {
        try await calls.run { [ledger] in try await ledger.markEventFailed(sequence, error: error, retryAt: retryAt) }
    }

    public func requeueEvents(from first: Int64, through last: Int64, subscriptionID: String?, at now: Timestamp) async throws -> Int {
        try await calls.run { [ledger] in
            try await ledger.requeueEvents(from: first, through: last, subscriptionID: subscriptionID, at: now)
        }
    }

    public func pruneEvents(deliveredBefore instant: Timestamp) async throws -> Int {
        try await calls.run { [ledger] in try await ledger.pruneEvents(deliveredBefore: instant) }
    }

    public func outboxBacklog() async throws -> OutboxBacklog {
        try await calls.run { [ledger] in try await ledger.outboxBacklog() }
    }

    public func subscriptions(status: String?, after: String?, limit: Int) async throws -> [StoredSubscription] {
        try await calls.run { [ledger] in try await ledger.subscriptions(status: status, after: after, limit: limit) }
    }

    public func chargesInReview(limit: Int) async throws -> [Charge] {
        try await calls.run { [ledger] in try await ledger.chargesInReview(limit: limit) }
    }

    public func countChargesInReview() async throws -> Int {
        try await calls.run { [ledger] in try await ledger.countChargesInReview() }
    }

    public func resolveCharge(_ resolution: ChargeResolution) async throws -> Charge {
        let now = try await currentTime()
        return try await calls.run { [ledger] in try await ledger.resolveCharge(resolution, now: now) }
    }

    public func subscription(id: String) async throws -> StoredSubscription? {
        try await calls.run { [ledger] in try await ledger.subscription(id: id) }
    }

    public func charges(subscriptionID: String) async throws -> [Charge] {
        try await calls.run { [ledger] in try await ledger.charges(subscriptionID: subscriptionID) }
    }

    public func charges(after cursor: ChargeCursor?, limit: Int) async throws -> [Charge] {
        try await calls.run { [ledger] in try await ledger.charges(after: cursor, limit: limit, unresolvedOnly: false) }
    }

    public func highestFencingToken(election: String) async throws -> FencingToken? {
        try await calls.run { [ledger] in try await ledger.highestFencingToken(election: election) }
    }

    public func claimFence(_ fence: Fence) async throws {
        try await calls.run { [ledger] in try await ledger.claimFence(fence) }
    }

    public func dueSubscriptions(at now: Timestamp, after cursor: DueCursor?, limit: Int) async throws -> [StoredSubscription] {
        try await calls.run { [ledger] in try await ledger.dueSubscriptions(at: now, after: cursor, limit: limit) }
    }

    public func unresolvedCharges(readyAt: Timestamp?, after cursor: ChargeCursor?, limit: Int) async throws -> [Charge] {
        try await calls.run { [ledger] in try await ledger.charges(after: cursor, limit: limit, unresolvedOnly: true, readyAt: readyAt) }
    }

    public func beginCharge(_ intent: ChargeIntent, fence: Fence, at now: Timestamp) async throws -> Charge {
        try await calls.run { [ledger] in
            try await Failpoint.beforePendingWrite.ahead { try await ledger.beginCharge(intent, fence: fence, now: now) }
        }
    }

    public func recordRenewal(_ record: RenewalRecord, fence: Fence, at now: Timestamp) async throws {
        try await calls.run { [ledger] in
            try await Failpoint.beforeOutcomeWrite.ahead { try await ledger.recordRenewal(record, fence: fence, now: now) }
        }
    }

    /// True: a batch is one statement (see ``beginCharges(_:fence:at:)``), so the engine's
    /// concurrent renewals share statements and transactions instead of paying one each.
    public var writesInBatches: Bool { true }

    /// Step (a) for many renewals in one fenced statement, a transaction of its own.
    public func beginCharges(_ intents: [ChargeIntent], fence: Fence, at now: Timestamp) async throws -> [Result<Charge, any Error>] {
        try await calls.run { [ledger] in
            try await Failpoint.beforePendingWrite.ahead { try await ledger.beginCharges(intents, fence: fence, now: now) }
        }
    }

    /// Step (c) for many renewals in one fenced statement, a transaction of its own; each
    /// renewal's charge and subscription are updated together or not at all.
    public func recordRenewals(_ records: [RenewalRecord], fence: Fence, at now: Timestamp) async throws -> [Result<Void, any Error>] {
        try await calls.run { [ledger] in
            try await Failpoint.beforeOutcomeWrite.ahead { try await ledger.recordRenewals(records, fence: fence, now: now) }
        }
    }
}
