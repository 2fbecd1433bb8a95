import AsyncHTTPClient
import Billing
import Foundation
import NIOCore
import PaymentSandbox
import Payments
import Testing

/// PayPal's webhooks on real `billing node` processes: each delivery is verified through the
/// provider's `verify-webhook-signature` endpoint (the sandbox's), a forged or stale one is
/// refused, and pending captures settle once, by webhook or by lookup.
extension BillingProcessTests {
    @Test("PayPal webhooks: verified at the provider, forged and stale ones refused, pending captures settled once")
    func payPalWebhooks() async throws {
        let webhookID = "WH-NODES-TEST"
        try await TestCluster.with(
            nodes: 2, provider: "paypal", arguments: ["--settlement-lookup", "2"], environment: ["PAYPAL_WEBHOOK_ID": webhookID]
        ) { cluster in
            try cluster.sandbox.configureWebhooks(
                WebhookSettings(
                    endpoints: [], secret: "", payPalEndpoints: cluster.nodes.map { "\($0.baseURL)/webhooks/paypal" },
                    payPalWebhookID: webhookID, faults: WebhookFaults(duplicate: 0.5, reorder: 0.3)))
            var methods: [String: String] = [:]
            for index in 0..<4 {
                methods["ok_\(index)"] = TestScenario.succeeds.payPalVaultID
                methods["pending_\(index)"] = TestScenario.processing.payPalVaultID
            }
            try await Self.seedDue(cluster.database, methods)
            let ids = Array(methods.keys)
            let pending = await eventually(timeout: .seconds(60)) { () -> [Charge]? in
                guard let all = try? await Self.charges(cluster, ids), all.count == ids.count,
                    all.filter({ $0.failureCode == Charge.processingCode }).count == 4
                else { return nil }
                return all.filter { $0.failureCode == Charge.processingCode }
            }
            let processing = try #require(pending, "the pending captures were not recorded as processing")
            // The bank settles two captures and denies two; PayPal's webhooks tell the nodes.
            for (index, charge) in processing.enumerated() {
                let capture = try #require(charge.providerReference)
                let answer = try #require(
                    await HTTP.request(
                        cluster.sandboxURL
                            + "/sandbox/paypal/captures/\(capture)/settle?outcome=\(index % 2 == 0 ? "succeeded" : "failed")",
                        method: .POST))
                #expect(answer.status == 200, "\(answer.body)")
            }
            let settled = await eventually(timeout: .seconds(60)) { () -> [Charge]? in
                guard let all = try? await Self.charges(cluster, ids), all.allSatisfy({ !$0.status.isUnresolved }) else { return nil }
                return all
            }
            let closed = try #require(settled, "the charges were not all settled")
            #expect(closed.count { $0.status == .succeeded } == 6)
            #expect(closed.count { $0.status == .failed } == 2)
            #expect(cluster.sandbox.ledger().allSatisfy { $0.count == 1 })
            let outcomes = await Self.webhookOutcomes(cluster)
            #expect(outcomes["settled", default: 0] > 0, "\(outcomes)")

            // A forged delivery (a signature PayPal did not make) and a stale one are refused.
            let node = cluster.nodes[0].baseURL + "/webhooks/paypal"
            let event =
                #"{"id":"WH-FORGED","event_type":"PAYMENT.CAPTURE.COMPLETED","resource":{"id":"C1","status":"COMPLETED","invoice_id":"x"}}"#
            func deliver(time: Date, signature: String) async throws -> Int {
                var request = HTTPClientRequest(url: node)
                request.method = .POST
                let fields = [
                    ("PAYPAL-TRANSMISSION-ID", "b1c2"), ("PAYPAL-TRANSMISSION-TIME", ISO8601DateFormatter().string(from: time)),
                    ("PAYPAL-TRANSMISSION-SIG", signature), ("PAYPAL-CERT-URL", "https://api.sandbox.paypal.com/v1/notifications/certs/x"),
                    ("PAYPAL-AUTH-ALGO", "SHA256withRSA"), ("Content-Type", "application/json"),
                ]
                for (name, value) in fields { request.headers.add(name: name, value: value) }
                request.body = .bytes(ByteBuffer(string: event))
                return Int(try await HTTPClient.shared.execute(request, timeout: .seconds(10)).status.code)
            }
            #expect(try await deliver(time: Date(), signature: "Zm9yZ2Vk") == 400)
            #expect(try await deliver(time: Date().addingTimeInterval(-600), signature: "Zm9yZ2Vk") == 400)
        }
    }
}
