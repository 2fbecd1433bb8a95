import Foundation
import NIOHTTP1

extension PayPalClient {
    /// The headers PayPal signs a webhook delivery with (`PAYPAL-TRANSMISSION-ID`, ...).
    public struct WebhookHeaders: Sendable, Hashable {
        public var transmissionID: String
        public var transmissionTime: String
        public var transmissionSignature: String
        public var certURL: String
        public var authAlgorithm: String

        /// Reads them from a delivery's headers (`name` → value, any case).
        /// - Throws: ``PaymentError`` (``PaymentError/Code/invalidRequest``) naming the missing header.
        public init(_ header: (String) -> String?) throws {
            func required(_ name: String) throws -> String {
                guard let value = header(name), !value.isEmpty else {
                    throw PaymentError(code: .invalidRequest, message: "the webhook delivery has no \(name) header")
                }
                return value
            }
            transmissionID = try required("PAYPAL-TRANSMISSION-ID")
            transmissionTime = try required("PAYPAL-TRANSMISSION-TIME")
            transmissionSignature = try required("PAYPAL-TRANSMISSION-SIG")
            certURL = try required("PAYPAL-CERT-URL")
            authAlgorithm = try required("PAYPAL-AUTH-ALGO")
        }
    }

    /// What PayPal said of a delivery's signature.
    public enum WebhookVerification: Sendable, Hashable {
        /// `verification_status: SUCCESS`.
        case verified
        /// `verification_status: FAILURE`, or PayPal refused the request as malformed: not PayPal's delivery.
        case refused(String)
        /// PayPal could not be asked (not reached, 5xx, 429, an answer that is not a verification): ask again later.
        case unavailable(String)
    }

    /// Asks PayPal whether `event` (the delivery's body, a JSON object) was signed by PayPal for
    /// the webhook `webhookID`: `POST /v1/notifications/verify-webhook-signature`, PayPal's
    /// documented way for a receiver that does not check the certificate chain itself.
    /// - Throws: ``PaymentError`` for credentials PayPal refuses, or a body that is not a JSON object.
    public func verifyWebhook(event: [UInt8], headers: WebhookHeaders, webhookID: String) async throws -> WebhookVerification {
        guard (try? JSONSerialization.jsonObject(with: Data(event))) is [String: Any] else {
            throw PaymentError(code: .invalidRequest, message: "the webhook delivery's body is not a JSON object")
        }
        // The event goes back exactly as received, inside the request's JSON.
        let fields = [
            ("auth_algo", headers.authAlgorithm), ("cert_url", headers.certURL), ("transmission_id", headers.transmissionID),
            ("transmission_sig", headers.transmissionSignature), ("transmission_time", headers.transmissionTime),
            ("webhook_id", webhookID),
        ]
        var body = Array("{".utf8)
        for (name, value) in fields {
            body += Array("\"\(name)\":".utf8) + (try JSONEncoder().encode(value)) + Array(",".utf8)
        }
        body += Array("\"webhook_event\":".utf8) + event + Array("}".utf8)
        let answer = try await sendAuthorized(logger: logger) { token in
            ProviderTransport.Request(
                method: .POST, url: configuration.baseURL + "/v1/notifications/verify-webhook-signature",
                headers: self.headers(token: token, ["Content-Type": "application/json"]), body: body)
        }
        switch answer {
        case .noToken(let reason):
            return .unavailable("no PayPal access token: \(reason)")
        case .sent(.notSent(let reason)), .sent(.lost(let reason)):
            return .unavailable("PayPal's signature verification was not answered: \(reason)")
        case .sent(.response(let response)):
            struct Verification: Decodable {
                var verificationStatus: String
                enum CodingKeys: String, CodingKey { case verificationStatus = "verification_status" }
            }
            switch response.status {
            case 200..<300:
                guard let verification = try? JSONDecoder().decode(Verification.self, from: Data(response.body)) else {
                    return .unavailable(
                        "PayPal answered the signature verification with \(ProviderTransport.snippet(of: response.body, limit: 200))")
                }
                return verification.verificationStatus == "SUCCESS"
                    ? .verified : .refused("PayPal says the signature is \(verification.verificationStatus)")
            case 400, 422:
                return .refused("PayPal refused to verify the delivery (HTTP \(response.status))")
            case 403:
                throw PaymentError(
                    code: .permissionDenied, message: "PayPal refused to verify webhook signatures (HTTP 403): check the app's permissions")
            default:
                return .unavailable("PayPal answered the signature verification with HTTP \(response.status)")
            }
        }
    }
}

/// A PayPal webhook event about a capture, as far as billing needs it.
public struct PayPalWebhookEvent: Sendable, Hashable {
    /// The event's id (`WH-...`): deliveries of one event share it.
    public var id: String
    /// `PAYMENT.CAPTURE.COMPLETED`, `PAYMENT.CAPTURE.DENIED`, `PAYMENT.CAPTURE.DECLINED`, `PAYMENT.CAPTURE.PENDING`, ...
    public var type: String
    /// The capture's `invoice_id`: the idempotency key the charge was made with.
    public var invoiceID: String?
    /// What the event means for the charge; nil for events about something else.
    public var outcome: ChargeOutcome?

    /// Reads an event's JSON.
    /// - Throws: ``PaymentError`` (``PaymentError/Code/invalidRequest``) for a body that is not a PayPal event.
    public init(json: [UInt8]) throws {
        struct Envelope: Decodable {
            struct Resource: Decodable {
                var id: String?
                var status: String?
                var invoiceID: String?
                enum CodingKeys: String, CodingKey {
                    case id, status
                    case invoiceID = "invoice_id"
                }
            }
            var id: String
            var eventType: String
            var resource: Resource?
            enum CodingKeys: String, CodingKey {
                case id, resource
                case eventType = "event_type"
            }
        }
        guard let envelope = try? JSONDecoder().decode(Envelope.self, from: Data(json)) else {
            throw PaymentError(code: .invalidRequest, message: "the payload is not a PayPal event (JSON with an id and an event_type)")
        }
        id = envelope.id
        type = envelope.eventType
        invoiceID = envelope.resource?.invoiceID
        guard let capture = envelope.resource?.id else { return }
        switch type {
        case "PAYMENT.CAPTURE.COMPLETED":
            outcome = .succeeded(reference: capture)
        case "PAYMENT.CAPTURE.PENDING":
            outcome = .processing(reference: capture)
        case "PAYMENT.CAPTURE.DENIED", "PAYMENT.CAPTURE.DECLINED":
            outcome = .declined(
                code: envelope.resource?.status ?? "DENIED", declineCode: nil, message: "PayPal capture \(capture) was \(type)",
                hard: false, reference: capture)
        default:
            outcome = nil
        }
    }
}
