import AsyncHTTPClient
import Billing
import BillingNode
import Foundation
import LeaderElection
import Logging
import NIOCore
import NIOPosix
import PaymentSandbox
import Payments
import PostgresNIO

/// One measured run: a fresh database seeded with due subscriptions, a fresh sandbox with the
/// given latency, one renewal pass timed from start to end, then the audit.
struct RenewalRun {
    let options: BenchOptions
    let store: BenchOptions.Store
    let latencyMilliseconds: Int
    let logger = Logger(label: "billing-bench", factory: { _ in SwiftLogNoOpLogHandler() })

    /// Every subscription is monthly from Jan 31 (due Feb 28) or, one in ten, annual from
    /// Feb 29, 2024 (due Feb 28, 2025): all due at this instant.
    static let now = try! Timestamp(iso8601: "2025-03-01T00:00:00Z")

    func run() async throws -> RunResult {
        try await withStore { database in
            let seedStart = ContinuousClock.now
            let due = try await seed(database)
            let seedSeconds = (ContinuousClock.now - seedStart).seconds
            let sandbox = try PaymentSandboxServer(
                configuration: .init(faults: FaultRates(latency: .milliseconds(latencyMilliseconds))), logger: logger)
            return try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await sandbox.run() }
                defer { group.cancelAll() }
                // AsyncHTTPClient keeps 8 connections per host by default: enough for 160 calls/s
                // at 50 ms. Allow one per renewal in flight so that concurrency can hide latency.
                var configuration = HTTPClient.Configuration()
                configuration.connectionPool = .init(
                    idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: options.concurrency)
                let httpClient = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
                let outcome: Result<RunResult, any Error>
                do {
                    outcome = .success(
                        try await measure(database, due: due, sandbox: sandbox, httpClient: httpClient, seedSeconds: seedSeconds))
                } catch {
                    outcome = .failure(error)
                }
                try await httpClient.shutdown()
                return try outcome.get()
            }
        }
    }

    /// Renews everything due in one pass through the sandbox, and audits the result.
    private func measure(
        _ database: any BillingStore, due: Set<RenewalID>, sandbox: PaymentSandboxServer, httpClient: HTTPClient, seedSeconds: Double
    ) async throws -> RunResult {
        let stripe = try StripeClient(
            configuration: .init(apiKey: APISecret("sk_test_bench"), baseURL: try await sandbox.baseURL()),
            httpClient: httpClient, logger: logger
        )
        var engineConfiguration = RenewalEngine.Configuration()
        engineConfiguration.batchSize = 1000
        engineConfiguration.maxConcurrentRenewals = options.concurrency
        engineConfiguration.providerRequestsPerSecond = nil
        let engine = try RenewalEngine(
            store: database, provider: stripe, billingClock: FixedBillingClock(instant: Self.now),
            configuration: engineConfiguration, logger: logger
        )
        let started = ContinuousClock.now
        let report = try await engine.runPass(fence: Fence(election: "billing-bench", token: FencingToken(1)))
        let seconds = (ContinuousClock.now - started).seconds
        let audit = ChargeAudit(dueRenewals: due, ledger: sandbox.ledger(), charges: try await database.allCharges())
        return RunResult(
            store: store.description, latencyMilliseconds: latencyMilliseconds, subscriptions: options.subscriptions,
            concurrency: options.concurrency, connections: store == .postgres ? min(options.concurrency, options.connections) : nil,
            seedSeconds: seedSeconds, seconds: seconds, charged: report.charged,
            renewalsPerSecond: Double(report.charged) / seconds, audit: audit
        )
    }

    /// Seeds the subscriptions; returns the renewals now due (one per subscription).
    private func seed(_ store: any BillingStore) async throws -> Set<RenewalID> {
        let monthly = try Plan(interval: .monthly, price: Money(minorUnits: 1999, currency: .usd))
        let annual = try Plan(interval: .annual, price: Money(minorUnits: 19_900, currency: .usd))
        let monthlyAnchor = try Timestamp(iso8601: "2025-01-31T00:00:00Z")
        let annualAnchor = try Timestamp(iso8601: "2024-02-29T00:00:00Z")
        let subscriptions = (0..<options.subscriptions).map { number in
            let isAnnual = number % 10 == 0
            return Subscription(
                id: String(format: "sub_%06d", number), customer: "cus_\(number)", plan: isAnnual ? annual : monthly,
                paymentMethod: "pm_card_visa", anchor: isAnnual ? annualAnchor : monthlyAnchor
            )
        }
        try await withThrowingTaskGroup(of: Void.self) { group in
            let writers = store is SQLiteBillingStore ? 1 : 8
            for writer in 0..<writers {
                group.addTask {
                    for index in stride(from: writer, to: subscriptions.count, by: writers) {
                        try await store.saveSubscription(subscriptions[index].stored)
                    }
                }
            }
            try await group.waitForAll()
        }
        return Set(subscriptions.map { RenewalID(subscriptionID: $0.id, periodStart: $0.currentPeriodEnd.iso8601) })
    }

    private func withStore<T: Sendable>(_ body: (any BillingStore) async throws -> T) async throws -> T {
        try await withBenchStore(store, options: options, logger: logger) { store, _ in try await body(store) }
    }
}

/// A billing clock stopped at one instant, so that everything seeded is due and nothing else becomes due.
struct FixedBillingClock: BillingClock {
    let instant: Timestamp
    func now() async throws -> Timestamp { instant }
}

extension Duration {
    /// The duration in seconds, as a `Double`.
    var seconds: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) + Double(attoseconds) / 1e18
    }
}
