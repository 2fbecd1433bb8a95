import AsyncHTTPClient
import Billing
import Foundation
import NIOCore
import NIOHTTP1
import Payments

/// Sends one event to every configured endpoint.
protocol EventSender: Sendable {
    /// Delivers `event`; throws ``EventDeliveryError`` (or any error) naming the endpoint that
    /// did not accept it. Endpoints that accepted it before one failed get it again on the retry:
    /// delivery is at least once.
    func send(_ event: BillingEvent) async throws
}

/// Why an endpoint did not accept an event.
struct EventDeliveryError: Error, CustomStringConvertible {
    let description: String
}

/// ``EventSender`` over HTTP: `POST` of the ``EventEnvelope`` body, signed with the secret, to
/// each endpoint in turn; any 2xx is acceptance.
struct HTTPEventSender: EventSender {
    let endpoints: [String]
    let secret: String
    let client: HTTPClient
    let timeout: Duration
    /// Unix seconds now, for the signature.
    var now: @Sendable () -> Int64 = { Int64(Date().timeIntervalSince1970) }

    func send(_ event: BillingEvent) async throws {
        let body = EventEnvelope.body(of: event)
        for endpoint in endpoints {
            var request = HTTPClientRequest(url: endpoint)
            request.method = .POST
            request.headers.add(name: "Content-Type", value: "application/json")
            request.headers.add(name: EventEnvelope.idHeader, value: event.id)
            request.headers.add(
                name: EventEnvelope.signatureHeader, value: StripeWebhook.signatureHeader(payload: body, secret: secret, timestamp: now()))
            request.body = .bytes(ByteBuffer(bytes: body))
            let response: HTTPClientResponse
            do {
                response = try await client.execute(request, timeout: .nanoseconds(timeout.nanoseconds))
            } catch {
                throw EventDeliveryError(description: "\(endpoint): \(error)")
            }
            // Drain (and bound) the answer so that the connection can be reused.
            let answer = try? await response.body.collect(upTo: 4096)
            guard (200..<300).contains(response.status.code) else {
                let text = answer.map { String(buffer: $0).prefix(200) } ?? ""
                throw EventDeliveryError(description: "\(endpoint) answered HTTP \(response.status.code) \(text)")
            }
        }
    }
}
