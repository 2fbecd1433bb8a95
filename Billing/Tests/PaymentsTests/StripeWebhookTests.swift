import Foundation
import Payments
import Testing

@Suite("Stripe webhook signatures")
struct StripeWebhookTests {
    let payload = Array(#"{"id":"evt_1","object":"event","type":"payment_intent.succeeded"}"#.utf8)
    let secret = "whsec_test_secret"
    let now: Int64 = 1_796_600_000

    @Test("a signature verifies under its secret, within the tolerance, among several v1 and several secrets")
    func verifies() throws {
        let header = StripeWebhook.signatureHeader(payload: payload, secret: secret, timestamp: now - 100)
        #expect(try StripeWebhook.verify(payload: payload, header: header, secrets: [secret], now: now) == now - 100)
        // A header with an old secret's signature beside the new one, as during a rotation.
        let other = StripeWebhook.signatureHeader(payload: payload, secret: "whsec_old", timestamp: now)
        let both = other + "," + StripeWebhook.signatureHeader(payload: payload, secret: secret, timestamp: now).split(separator: ",")[1]
        #expect(try StripeWebhook.verify(payload: payload, header: both, secrets: [secret], now: now) == now)
        #expect(try StripeWebhook.verify(payload: payload, header: other, secrets: [secret, "whsec_old"], now: now) == now)
    }

    @Test("a wrong secret, a changed payload, an old or future time, no header, no v1: refused, each for its reason")
    func refuses() {
        let header = StripeWebhook.signatureHeader(payload: payload, secret: secret, timestamp: now)
        func code(_ header: String?, body: [UInt8]? = nil, secret: String? = nil, at time: Int64? = nil) -> StripeWebhookError.Code? {
            do {
                try StripeWebhook.verify(payload: body ?? payload, header: header, secrets: [secret ?? self.secret], now: time ?? now)
                return nil
            } catch {
                return error.code
            }
        }
        #expect(code(header, secret: "whsec_other") == .badSignature)
        #expect(code(header, body: payload + [32]) == .badSignature)
        #expect(code(header, at: now + 301) == .outsideTolerance)
        #expect(code(header, at: now - 301) == .outsideTolerance)
        #expect(code(nil) == .missingSignature)
        #expect(code("t=\(now)") == .malformedSignature)
        #expect(code("v1=00") == .malformedSignature)
    }

    @Test("an event about a PaymentIntent carries its outcome and metadata; other events only their id and type")
    func events() throws {
        let succeeded = try StripeWebhookEvent(
            json: Array(
                #"{"id":"evt_2","object":"event","type":"payment_intent.succeeded","data":{"object":{"id":"pi_9","object":"payment_intent","status":"succeeded","metadata":{"subscription_id":"s"}}}}"#
                    .utf8))
        #expect(succeeded.paymentIntentID == "pi_9")
        #expect(succeeded.metadata == ["subscription_id": "s"])
        #expect(succeeded.outcome == .succeeded(reference: "pi_9"))
        let other = try StripeWebhookEvent(
            json: Array(#"{"id":"evt_3","type":"customer.created","data":{"object":{"id":"cus_1","object":"customer"}}}"#.utf8))
        #expect(other.outcome == nil)
        #expect(other.type == "customer.created")
        #expect(throws: StripeWebhookError.self) { try StripeWebhookEvent(json: Array("not json".utf8)) }
    }

    /// Stripe's own library must accept what this code signs: what the sandbox will send and
    /// what a receiver written with Stripe's libraries checks.
    @Test(
        "stripe.Webhook.construct_event (Stripe's Python library) verifies a header signed here",
        .enabled(if: stripePythonInstalled || ProcessInfo.processInfo.environment["CI"] != nil, "pip install stripe to run this check")
    )
    func officialLibraryAccepts() async throws {
        let timestamp = Int64(Date().timeIntervalSince1970)
        let header = StripeWebhook.signatureHeader(payload: payload, secret: secret, timestamp: timestamp)
        let script = """
            import sys, stripe
            event = stripe.Webhook.construct_event(sys.argv[1], sys.argv[2], sys.argv[3])
            print("verified", event["id"])
            try:
                stripe.Webhook.construct_event(sys.argv[1] + " ", sys.argv[2], sys.argv[3])
                print("a changed payload verified")
            except stripe.error.SignatureVerificationError:
                print("refused a changed payload")
            """
        let (status, text) = try await runPython(["-c", script, String(decoding: payload, as: UTF8.self), header, secret])
        #expect(status == 0, "\(text)")
        #expect(text.contains("verified evt_1"))
        #expect(text.contains("refused a changed payload"))
    }
}
