import Billing
import BillingNode
import Foundation
import Logging
import PaymentSandbox
import Payments
import Testing

/// Whether `python3` can import Stripe's official library.
let stripePythonAvailable: Bool = (try? SignedDeliveryTests.python(["-c", "import stripe"]).status) == 0

/// Stripe's own Python library (`stripe.Webhook.construct_event`) verifies what is delivered over
/// HTTP: the sandbox's Stripe webhooks, and the service's own events (the same scheme, so a
/// business's receiver can reuse its Stripe code).
@Suite(
    "signed deliveries, verified by Stripe's Python library",
    .enabled(if: stripePythonAvailable || ProcessInfo.processInfo.environment["CI"] != nil, "pip install stripe")
)
struct SignedDeliveryTests {
    /// Runs `python3 ARGUMENTS`; its exit status and output.
    static func python(_ arguments: [String]) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3"] + arguments
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    /// Verifies `delivery` with Stripe's library under `secret`; the verified event's id, or the error.
    static func verifyWithStripe(_ delivery: EventReceiver.Delivery, secret: String) throws -> String {
        let script = """
            import sys, stripe
            event = stripe.Webhook.construct_event(sys.argv[1], sys.argv[2], sys.argv[3])
            print("verified", event["id"], event["type"])
            """
        let (status, output) = try python(["-c", script, String(decoding: delivery.body, as: UTF8.self), delivery.signature, secret])
        #expect(status == 0, "\(output)")
        return output
    }

    @Test func theSandboxsWebhooksVerify() async throws {
        let secret = "whsec_sandbox_python"
        let logger = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })
        let receiver = EventReceiver(secret: secret, signatureHeader: "Stripe-Signature", logger: logger)
        let sandbox = try PaymentSandboxServer(logger: logger)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await receiver.run() }
            group.addTask { try await sandbox.run() }
            defer { group.cancelAll() }
            let port = try #require(await eventually(timeout: .seconds(10)) { receiver.port })
            try sandbox.configureWebhooks(WebhookSettings(endpoints: ["http://127.0.0.1:\(port)/stripe"], secret: secret))
            let client = try StripeClient(
                configuration: .init(apiKey: APISecret("sk_test_python"), baseURL: try await sandbox.baseURL()), logger: logger)
            let outcome = try await client.charge(
                ChargeRequest(
                    idempotencyKey: "python-1", amountMinor: 500, currency: "USD", customer: "cus_1", paymentMethod: "pm_card_visa",
                    metadata: ["subscription_id": "s1"]))
            guard case .succeeded(let reference) = outcome else {
                Issue.record("expected a success, got \(outcome)")
                return
            }
            let delivery = try #require(await eventually(timeout: .seconds(10)) { receiver.deliveries.first })
            #expect(delivery.type == "payment_intent.succeeded")
            #expect(String(decoding: delivery.body, as: UTF8.self).contains(reference))
            #expect(try Self.verifyWithStripe(delivery, secret: secret).contains("verified \(delivery.id) payment_intent.succeeded"))
        }
    }

    @Test func theServicesEventsVerify() async throws {
        let logger = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })
        let receiver = EventReceiver(secret: BillingProcessTests.eventSecret, logger: logger)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await receiver.run() }
            defer { group.cancelAll() }
            let port = try #require(await eventually(timeout: .seconds(10)) { receiver.port })
            try await TestCluster.with(
                nodes: 1, due: 3,
                environment: [
                    "BILLING_EVENT_ENDPOINTS": "http://127.0.0.1:\(port)/events", "BILLING_EVENT_SECRET": BillingProcessTests.eventSecret,
                ]
            ) { _ in
                let delivery = try #require(await eventually(timeout: .seconds(30)) { receiver.deliveries.first })
                #expect(try Self.verifyWithStripe(delivery, secret: BillingProcessTests.eventSecret).contains("verified \(delivery.id)"))
            }
        }
    }
}
