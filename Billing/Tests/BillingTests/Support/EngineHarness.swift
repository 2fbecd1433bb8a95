import Billing
import LeaderElection
import MetricsTestKit
import Payments

/// A store, a fake provider, a manual billing clock, a virtual wait clock and test metrics: what
/// an engine test needs.
struct EngineHarness: Sendable {
    let store: any BillingStore
    let provider: FakePaymentProvider
    let billingClock: ManualBillingClock
    let clock = VirtualClock()
    let metrics = TestMetrics()

    init(store: any BillingStore, now: String, provider: FakePaymentProvider = FakePaymentProvider()) {
        self.store = store
        self.provider = provider
        self.billingClock = ManualBillingClock(Fixtures.time(now))
    }

    /// A small, fast configuration: batches of 3 and 4 renewals in flight, so that paging and
    /// concurrency are exercised with few rows.
    static var smallConfiguration: RenewalEngine.Configuration {
        var configuration = RenewalEngine.Configuration()
        configuration.batchSize = 3
        configuration.maxConcurrentRenewals = 4
        configuration.providerRequestsPerSecond = 50
        configuration.providerBurst = 5
        return configuration
    }

    func engine(
        _ configuration: RenewalEngine.Configuration = smallConfiguration, provider: (any PaymentProvider)? = nil
    ) throws -> RenewalEngine {
        try RenewalEngine(
            store: store, provider: provider ?? self.provider, billingClock: billingClock, configuration: configuration,
            clock: clock, logger: testLogger, metricsFactory: metrics
        )
    }

    func counter(_ label: String) throws -> Int64 {
        try metrics.expectCounter(label).totalValue
    }

    func save(_ subscriptions: Subscription...) async throws {
        for subscription in subscriptions {
            try await store.saveSubscription(subscription.stored)
        }
    }

    func subscription(_ id: String) async throws -> Subscription? {
        try await store.subscription(id: id)?.validated()
    }
}
