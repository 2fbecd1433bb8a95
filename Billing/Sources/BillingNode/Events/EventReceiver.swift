import Foundation
import HTTPTypes
import Hummingbird
import Logging
import Payments
import Synchronization

/// A small receiver of signed events: it accepts `POST` deliveries on any path, verifies the
/// signature header (Stripe's scheme: `t=...,v1=...`) with the secret, keeps each verified
/// delivery and tells first deliveries of an event from repeats (by its `id`).
///
/// What `billing events receive` runs to print the service's events, and what tests and the demo
/// point the service's `--event-endpoint` (or the sandbox's webhooks) at.
public final class EventReceiver: Sendable {
    /// One verified delivery.
    public struct Delivery: Sendable, Hashable {
        /// The event's `id`.
        public var id: String
        /// The event's `type`.
        public var type: String
        /// The `subscription_id` it names, if any.
        public var subscriptionID: String?
        /// The body as received.
        public var body: [UInt8]
        /// The signature header as received.
        public var signature: String
        /// Whether an earlier delivery had the same id.
        public var isRepeat: Bool
    }

    /// The header that carries the signature: `Billing-Signature` for the service's events,
    /// `Stripe-Signature` for Stripe's webhooks.
    public let signatureHeader: String
    private let secret: String
    private let logger: Logger
    private let onDelivery: @Sendable (Delivery) -> Void
    private let received = Mutex<[Delivery]>([])
    private let refused = Atomic<Int>(0)
    private let boundPort = Mutex<Int?>(nil)

    /// Creates a receiver; `onDelivery` is called for each verified delivery, in arrival order.
    public init(
        secret: String, signatureHeader: String = "Billing-Signature", logger: Logger,
        onDelivery: @escaping @Sendable (Delivery) -> Void = { _ in }
    ) {
        self.secret = secret
        self.signatureHeader = signatureHeader
        self.logger = logger
        self.onDelivery = onDelivery
    }

    /// Every verified delivery so far, in arrival order.
    public var deliveries: [Delivery] { received.withLock { $0 } }
    /// Deliveries refused for a bad or missing signature.
    public var refusedCount: Int { refused.load(ordering: .relaxed) }
    /// The port, once listening.
    public var port: Int? { boundPort.withLock { $0 } }

    /// Serves on `host`:`port` (0: a free one) until cancelled.
    public func run(host: String = "127.0.0.1", port: Int = 0) async throws {
        let router = Router()
        router.post("/**") { request, _ -> Response in
            let body = Array(buffer: try await request.body.collect(upTo: 1 << 20))
            return self.receive(body: body, signature: request.headers[HTTPField.Name(self.signatureHeader)!])
        }
        let application = Application(
            router: router,
            configuration: ApplicationConfiguration(address: .hostname(host, port: port), serverName: "event-receiver"),
            onServerRunning: { channel in self.boundPort.withLock { $0 = channel.localAddress?.port } },
            logger: logger)
        try await application.run()
    }

    /// Verifies and keeps one delivery; answers 200, or 400 for a bad signature or body.
    func receive(body: [UInt8], signature: String?) -> Response {
        do {
            try StripeWebhook.verify(payload: body, header: signature, secrets: [secret], now: Int64(Date().timeIntervalSince1970))
        } catch {
            refused.add(1, ordering: .relaxed)
            return Response(status: .badRequest, body: .init(byteBuffer: .init(string: "\(error.message)\n")))
        }
        struct Event: Decodable {
            var id: String
            var type: String
            var subscriptionID: String?
            enum CodingKeys: String, CodingKey {
                case id, type
                case subscriptionID = "subscription_id"
            }
        }
        guard let event = try? JSONDecoder().decode(Event.self, from: Data(body)) else {
            return Response(status: .badRequest, body: .init(byteBuffer: .init(string: "not an event (JSON with an id and a type)\n")))
        }
        let delivery = received.withLock { received in
            let delivery = Delivery(
                id: event.id, type: event.type, subscriptionID: event.subscriptionID, body: body, signature: signature ?? "",
                isRepeat: received.contains { $0.id == event.id })
            received.append(delivery)
            return delivery
        }
        onDelivery(delivery)
        return Response(status: .ok, body: .init(byteBuffer: .init(string: "ok\n")))
    }
}
