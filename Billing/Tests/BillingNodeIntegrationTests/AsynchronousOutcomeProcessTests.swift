import Billing
import BillingNode
import Foundation
import Logging
import PaymentSandbox
import Payments
import Testing

/// The asynchronous outcomes on real `billing node` processes: the sandbox delivers its Stripe
/// webhooks to every node (so each event arrives at least twice, concurrently), duplicated,
/// reordered, delayed and dropped; the nodes deliver their own events to a receiver. Each
/// charge settles once, and each event goes out with one id, however often it is delivered.
extension BillingProcessTests {
    static let eventSecret = "whsec_events_test"

    /// Subscriptions due now, each paying with `paymentMethod`.
    static func seedDue(_ database: String, _ ids: [String: String]) async throws {
        var logger = Logger(label: "test.seed")
        logger.logLevel = .error
        try await BillingStoreURL(database).withStore(logger: logger) { store in
            let now = try await store.currentTime()
            for (id, paymentMethod) in ids.sorted(by: { $0.key < $1.key }) {
                let start = BillingCalendar.boundary(anchor: now, interval: .monthly, index: -1)
                let subscription = Subscription(
                    id: id, customer: "cus_\(id)", plan: try Plan(interval: .monthly, price: Money(minorUnits: 1500, currency: .usd)),
                    status: .active, billingCycleAnchor: now, currentPeriodStart: start, currentPeriodEnd: now, cancelAtPeriodEnd: false,
                    paymentMethod: paymentMethod, retry: nil)
                try await store.saveSubscription(subscription.stored)
            }
        }
    }

    /// Runs `body` with the cluster's billing database open.
    static func withDatabase<T: Sendable>(_ cluster: TestCluster, _ body: (any BillingStore) async throws -> T) async throws -> T {
        var logger = Logger(label: "test.read")
        logger.logLevel = .error
        return try await BillingStoreURL(cluster.database).withStore(logger: logger, body)
    }

    /// Every charge of the subscriptions `ids`.
    static func charges(_ cluster: TestCluster, _ ids: [String]) async throws -> [Charge] {
        try await withDatabase(cluster) { store in
            var all: [Charge] = []
            for id in ids { all += try await store.charges(subscriptionID: id) }
            return all
        }
    }

    /// Whether the customer authenticates (or the bank settles) this subscription's charge: the even-numbered ones.
    static func completesSuccessfully(_ id: String) -> Bool {
        id.hasPrefix("card") || id.hasSuffix("0") || id.hasSuffix("2") || id.hasSuffix("4")
    }

    @Test("webhooks duplicated, reordered, late and lost: each charge settles once, each event goes out under one id")
    func asynchronousOutcomesThroughFaultyWebhooks() async throws {
        let receiver = EventReceiver(
            secret: Self.eventSecret, logger: Logger(label: "test.events", factory: { _ in SwiftLogNoOpLogHandler() }))
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await receiver.run() }
            defer { group.cancelAll() }
            let port = try #require(await eventually(timeout: .seconds(10)) { receiver.port })
            try await TestCluster.with(
                nodes: 2, arguments: ["--settlement-lookup", "2"],
                environment: ["BILLING_EVENT_ENDPOINTS": "http://127.0.0.1:\(port)/events", "BILLING_EVENT_SECRET": Self.eventSecret]
            ) { cluster in
                try await Self.settleThroughFaultyWebhooks(cluster, receiver: receiver)
            }
        }
    }

    static func settleThroughFaultyWebhooks(_ cluster: TestCluster, receiver: EventReceiver) async throws {
        try cluster.sandbox.configureWebhooks(
            WebhookSettings(
                endpoints: cluster.nodes.map { "\($0.baseURL)/webhooks/stripe" }, secret: TestCluster.webhookSecret,
                faults: WebhookFaults(drop: 0.2, duplicate: 0.5, reorder: 0.3, delay: 0.3, delaySeconds: 1)))
        var methods: [String: String] = [:]
        for index in 0..<6 {
            methods["sca_\(index)"] = TestScenario.authenticationRequired.stripePaymentMethod
            methods["debit_\(index)"] = TestScenario.processing.stripePaymentMethod
            methods["card_\(index)"] = TestScenario.succeeds.stripePaymentMethod
        }
        try await seedDue(cluster.database, methods)
        let ids = Array(methods.keys)

        // Every charge made once, the SCA ones waiting for their customers, the debits processing.
        let waiting = await eventually(timeout: .seconds(60)) { () -> [Charge]? in
            guard let all = try? await charges(cluster, ids), all.count == ids.count,
                all.filter({ $0.failureCode == Charge.actionRequiredCode }).count == 6,
                all.filter({ $0.failureCode == Charge.processingCode }).count == 6
            else { return nil }
            return all
        }
        let open = try #require(waiting, "the charges did not reach their waiting states")
        // Half the customers authenticate, half fail; half the debits settle, half are returned.
        for charge in open where charge.status.isUnresolved {
            try cluster.sandbox.complete(
                paymentIntent: try #require(charge.providerReference),
                step: charge.failureCode == Charge.actionRequiredCode ? .authentication : .settlement,
                succeeded: completesSuccessfully(charge.subscriptionID))
        }
        let settled = await eventually(timeout: .seconds(60)) { () -> [Charge]? in
            guard let all = try? await charges(cluster, ids), all.allSatisfy({ !$0.status.isUnresolved }) else { return nil }
            return all
        }
        let closed = try #require(settled, "the charges were not all settled")

        // Charged once each: one ledger entry per key, applied once; outcomes as the customer and bank decided.
        let ledger = cluster.sandbox.ledger()
        #expect(ledger.count == ids.count)
        #expect(ledger.allSatisfy { $0.count == 1 })
        for charge in closed {
            let success = completesSuccessfully(charge.subscriptionID)
            #expect(charge.status == (success ? .succeeded : .failed), "\(charge.subscriptionID)")
            #expect(ledger.first { $0.idempotencyKey == charge.idempotencyKey }?.status == (success ? "succeeded" : "declined"))
        }

        // The outbox: each change once, however many webhooks reported it; all delivered, each id
        // with the same body on every delivery.
        let events = try await withDatabase(cluster) { try await $0.events(after: nil, subscriptionID: nil, limit: 1000) }
        for id in ids {
            let types = events.filter { $0.subscriptionID == id }.map(\.type)
            #expect(Set(types).count == types.count, "\(id): an event twice: \(types)")
        }
        #expect(events.filter { $0.type == "subscription.action_required" }.count == 6)
        #expect(events.filter { $0.type == "charge.succeeded" }.count == 12)
        #expect(events.filter { $0.type == "charge.failed" }.count == 6)
        let expectedIDs = Set(events.map(\.id))
        let delivered = await eventually(timeout: .seconds(30)) { () -> [EventReceiver.Delivery]? in
            let deliveries = receiver.deliveries
            return Set(deliveries.map(\.id)) == expectedIDs ? deliveries : nil
        }
        let deliveries = try #require(delivered, "not every event reached the receiver")
        for copies in Dictionary(grouping: deliveries, by: \.id).values {
            #expect(Set(copies.map(\.body)).count == 1, "one body per event id")
        }
        #expect(receiver.refusedCount == 0)
        let statistics = cluster.sandbox.webhookStatistics
        #expect(statistics.duplicated > 0 && statistics.delivered > statistics.events, "\(statistics)")
        // Both paths settled charges: webhooks (and repeats of them turned away), and lookups of what they missed.
        let outcomes = await webhookOutcomes(cluster)
        #expect(outcomes["settled", default: 0] > 0, "\(outcomes)")
        #expect(outcomes["duplicate", default: 0] + outcomes["ignored", default: 0] > 0, "\(outcomes)")
    }

    /// `billing_webhooks_total` by outcome, summed over the nodes.
    static func webhookOutcomes(_ cluster: TestCluster) async -> [String: Int] {
        var outcomes: [String: Int] = [:]
        for node in cluster.nodes {
            let text = await HTTP.request(node.baseURL + "/metrics")?.body ?? ""
            for line in text.split(separator: "\n") where line.hasPrefix("billing_webhooks_total{") {
                guard let range = line.range(of: #"outcome="[a-z]+""#, options: .regularExpression),
                    let count = Double(line.split(separator: " ").last ?? "")
                else { continue }
                outcomes[String(line[range].dropFirst(9).dropLast()), default: 0] += Int(count)
            }
        }
        return outcomes
    }
}
