import Billing
import BillingNode
import ChildProcesses
import Foundation
import Glibc
import Logging
import PaymentSandbox
import Testing

@testable import ChaosHarness

/// End to end with real processes: a `billing node` charges through a TCP proxy in front of the
/// payment sandbox. A charge's answer is lost (the sandbox applied it); then the proxy refuses
/// connections for longer than the engine's in-pass retries; then it lets them through again.
/// The key that may have reached the provider is never abandoned.
@Suite struct ProviderOutageTests {
    @Test func aLostAnswerThenRefusedConnectionsChargeOnceAndNeverPastDue() async throws {
        let directory = NSTemporaryDirectory() + "billing-outage-tests-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        var logger = Logger(label: "test.sandbox")
        logger.logLevel = .error
        // Every answer is lost until the first charge is in the sandbox's ledger.
        let sandbox = try PaymentSandboxServer(configuration: .init(faults: FaultRates(lostRate: 1)), logger: logger)
        let database = "sqlite:\(directory)/billing.sqlite"
        let subscriptionID = "sub_outage"
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await sandbox.run() }
            defer { group.cancelAll() }
            let proxy = try await TCPProxy.start(name: "provider", upstreamHost: "127.0.0.1", upstreamPort: try await sandbox.port())
            let periodStart = try await BillingStoreURL(database).withStore(logger: logger) { store in
                let now = try await store.currentTime()
                let usd = try Currency(code: "USD")
                let subscription = Subscription(
                    id: subscriptionID, customer: "cus_outage",
                    plan: try Plan(interval: .monthly, price: Money(minorUnits: 999, currency: usd)),
                    status: .active, billingCycleAnchor: now,
                    currentPeriodStart: BillingCalendar.boundary(anchor: now, interval: .monthly, index: -1),
                    currentPeriodEnd: now, cancelAtPeriodEnd: false, paymentMethod: "pm_card_visa", retry: nil
                )
                try await store.createSubscription(subscription.stored)
                return now
            }
            let key = Subscription.idempotencyKey(subscriptionID: subscriptionID, periodStart: periodStart, attempt: 1)
            let port = try FreePort.pick()
            let node = try NodeProcess.spawn(
                id: "node-1", port: port,
                arguments: [
                    "node", "--id", "node-1", "--coordination", "sqlite:\(directory)/election.sqlite", "--database", database,
                    "--provider", "stripe", "--provider-url", "http://127.0.0.1:\(proxy.port)", "--http-port", String(port),
                    "--rate-limit", "0", "--parent-pid", String(getpid()),
                ],
                // Short requests: a refused connection is retried by the HTTP client until the request's deadline.
                environment: ["STRIPE_API_KEY": "sk_test_outage", "BILLING_LOG_LEVEL": "debug", "BILLING_PROVIDER_TIMEOUT": "2"],
                logPath: "\(directory)/node-1.log"
            )
            defer { proxy.close() }
            var wasPastDue = false
            /// The subscription and its charge as the database has them now; notes a past-due status.
            func read() async -> (subscription: StoredSubscription, charge: Charge?)? {
                let rows = try? await BillingStoreURL(database).withStore(logger: logger) { store in
                    (try await store.subscription(id: subscriptionID), try await store.charges(subscriptionID: subscriptionID).first)
                }
                guard let (row, charge) = rows, let row else { return nil }
                if row.status == SubscriptionStatus.pastDue.rawValue { wasPastDue = true }
                return (row, charge)
            }

            // 1. The sandbox applies the charge, and its answer is lost.
            let applied = await eventually(timeout: .seconds(60)) { sandbox.ledger().first { $0.idempotencyKey == key } }
            #expect(applied != nil, "the node's first charge reached the sandbox")
            // 2. The provider is unreachable: connections are refused, for two rounds of the
            //    engine's in-pass retries at least (the node reports each refusal).
            proxy.close()
            try sandbox.setFaultRates(FaultRates())
            let refusals = await eventually(timeout: .seconds(120)) { () -> Int? in
                _ = await read()
                let count = await HTTP.status(node.baseURL)?.recentCharges.count { $0.key == key && $0.outcome == "retryable" } ?? 0
                return count >= 6 ? count : nil
            }
            let outcomes = await HTTP.status(node.baseURL)?.recentCharges.map(\.outcome) ?? []
            #expect(refusals != nil, "the node met refused connections for several rounds: \(outcomes)")
            if refusals == nil {
                let log = String(decoding: FileManager.default.contents(atPath: "\(directory)/node-1.log.err") ?? Data(), as: UTF8.self)
                print(log.split(separator: "\n").filter { !$0.contains("nothing due") }.suffix(60).joined(separator: "\n"))
            }
            // 3. Through again, on the same port.
            let healed = try await TCPProxy.start(
                name: "provider", upstreamHost: "127.0.0.1", upstreamPort: try await sandbox.port(), port: proxy.port)
            defer { healed.close() }
            let settled = await eventually(timeout: .seconds(180)) { () -> Charge? in
                guard let (_, charge) = await read(), let charge, charge.status == .succeeded else { return nil }
                return charge
            }
            await node.stop()
            let entries = sandbox.ledger().filter { $0.customer == "cus_outage" }
            #expect(entries.count == 1, "one charge at the provider for the period: \(entries)")
            #expect(entries.first?.idempotencyKey == key)
            #expect(entries.first?.count == 1)
            #expect(settled?.idempotencyKey == key, "settled under the first key, never a dunning retry's")
            #expect(!wasPastDue, "the subscription was never past due")
            let final = await read()
            #expect(final?.subscription.status == SubscriptionStatus.active.rawValue)
            #expect(final?.subscription.currentPeriodStart == periodStart)
            if settled == nil {
                print(
                    String(decoding: FileManager.default.contents(atPath: "\(directory)/node-1.log") ?? Data(), as: UTF8.self).suffix(4000))
            }
        }
        try? FileManager.default.removeItem(atPath: directory)
    }
}
