import AsyncHTTPClient
import Crypto
import Foundation
import Logging
import NIOCore
import Synchronization

/// Delivers the sandbox's webhook events to the configured endpoints, Stripe's signed as Stripe
/// signs them (`Stripe-Signature: t=...,v1=<HMAC-SHA256 of "t.payload">`), PayPal's with the
/// `PAYPAL-TRANSMISSION-*` headers (``PayPalWebhookSignature``), with the configured faults.
///
/// Each event goes out once per endpoint; a refused or unanswered delivery is retried after 0.5,
/// 1, 2, 4 and 8 s (each retry signed anew, as Stripe's retries are), then abandoned. Faults are
/// drawn per event from the sandbox's seeded generator: dropped, delivered twice, held back
/// behind the next event, or delayed.
final class WebhookDispatcher: Sendable {
    private struct State {
        var settings: WebhookSettings = .off
        var statistics = WebhookStatistics()
        /// An event held back to go out after the next one (the reorder fault).
        var heldBack: Event?
    }

    /// An event ready to send: its body and whose it is.
    struct Event: Sendable {
        let body: [UInt8]
        let isPayPal: Bool
    }

    /// PayPal's signatures, which only this sandbox's verification endpoint checks.
    let payPalSignature = PayPalWebhookSignature()
    private let state = Mutex(State())
    private let events: AsyncStream<Event>.Continuation
    private let stream: AsyncStream<Event>
    private let random: Mutex<SplitMix64>
    private let logger: Logger

    init(seed: UInt64, logger: Logger) {
        (stream, events) = AsyncStream.makeStream(of: Event.self)
        random = Mutex(SplitMix64(seed: seed ^ 0x5745_4248_4F4F_4B53))
        self.logger = logger
    }

    var settings: WebhookSettings { state.withLock { $0.settings } }
    var statistics: WebhookStatistics { state.withLock { $0.statistics } }

    func configure(_ settings: WebhookSettings) throws(PaymentSandboxError) {
        try settings.validate()
        state.withLock { $0.settings = settings }
    }

    /// Queues `webhook` when its provider's webhooks are on.
    func emit(_ webhook: OutgoingWebhook) {
        let on = state.withLock { state -> Bool in
            let endpoints = webhook.isPayPal ? state.settings.payPalEndpoints : state.settings.endpoints
            guard !endpoints.isEmpty else { return false }
            state.statistics.events += 1
            return true
        }
        guard on else { return }
        events.yield(Event(body: webhook.body, isPayPal: webhook.isPayPal))
    }

    /// Sends the events queued in `state`'s storage (``SandboxStorage/announce(_:)``).
    func flush(_ state: SandboxState) {
        let outgoing = state.withStorage { storage in
            defer { storage.outgoingWebhooks = [] }
            return storage.outgoingWebhooks
        }
        for webhook in outgoing { emit(webhook) }
    }

    /// Delivers queued events until cancelled.
    func run(client: HTTPClient) async {
        await withDiscardingTaskGroup { group in
            for await event in stream {
                let settings = settings
                let draw = { self.random.withLock { $0.unit() } }
                if draw() < settings.faults.drop {
                    state.withLock { $0.statistics.dropped += 1 }
                    continue
                }
                if draw() < settings.faults.reorder {
                    // Held back: it goes out after the next event (or with the next one held back too).
                    let previous = state.withLock { state in
                        state.statistics.reordered += 1
                        defer { state.heldBack = event }
                        return state.heldBack
                    }
                    if let previous { group.addTask { await self.deliver(previous, settings, client) } }
                    continue
                }
                let delay: Duration? = draw() < settings.faults.delay ? .milliseconds(Int64(settings.faults.delaySeconds * 1000)) : nil
                let copies = draw() < settings.faults.duplicate ? 2 : 1
                state.withLock {
                    if delay != nil { $0.statistics.delayed += 1 }
                    if copies == 2 { $0.statistics.duplicated += 1 }
                }
                let held = state.withLock { state in
                    defer { state.heldBack = nil }
                    return state.heldBack
                }
                group.addTask {
                    if let delay { try? await Task.sleep(for: delay) }
                    for _ in 0..<copies { await self.deliver(event, settings, client) }
                    // The event held back goes out right after the one that overtook it.
                    if let held { await self.deliver(held, settings, client) }
                }
            }
        }
    }

    /// One event to every endpoint of its provider, with retries.
    private func deliver(_ event: Event, _ settings: WebhookSettings, _ client: HTTPClient) async {
        for endpoint in event.isPayPal ? settings.payPalEndpoints : settings.endpoints {
            var pause = Duration.milliseconds(500)
            for attempt in 0...5 {
                if attempt > 0 {
                    guard (try? await Task.sleep(for: pause)) != nil else { return }
                    pause = pause * 2
                }
                var request = HTTPClientRequest(url: endpoint)
                request.method = .POST
                request.headers.add(name: "Content-Type", value: "application/json; charset=utf-8")
                if event.isPayPal {
                    // Each transmission (a retry too) has its own id and time, as at PayPal.
                    let id = UUID().uuidString.lowercased()
                    let time = ISO8601DateFormatter().string(from: Date())
                    request.headers.add(name: "PAYPAL-TRANSMISSION-ID", value: id)
                    request.headers.add(name: "PAYPAL-TRANSMISSION-TIME", value: time)
                    request.headers.add(
                        name: "PAYPAL-TRANSMISSION-SIG",
                        value: payPalSignature.sign(event: event.body, transmissionID: id, time: time, webhookID: settings.payPalWebhookID)
                            ?? "")
                    request.headers.add(
                        name: "PAYPAL-CERT-URL", value: "https://api.sandbox.paypal.com/v1/notifications/certs/CERT-sandbox")
                    request.headers.add(name: "PAYPAL-AUTH-ALGO", value: PayPalWebhookSignature.algorithm)
                } else {
                    request.headers.add(
                        name: "Stripe-Signature",
                        value: Self.signature(event.body, secret: settings.secret, timestamp: Int64(Date().timeIntervalSince1970)))
                }
                request.body = .bytes(ByteBuffer(bytes: event.body))
                let accepted: Bool
                do {
                    let response = try await client.execute(request, timeout: .seconds(10))
                    _ = try? await response.body.collect(upTo: 64 * 1024)
                    accepted = (200..<300).contains(response.status.code)
                } catch {
                    accepted = false
                }
                if accepted {
                    state.withLock { $0.statistics.delivered += 1 }
                    break
                }
                state.withLock { $0.statistics.failedAttempts += 1 }
                if attempt == 5 {
                    state.withLock { $0.statistics.abandoned += 1 }
                    logger.warning("a webhook was abandoned after every retry failed", metadata: ["endpoint": "\(endpoint)"])
                }
            }
        }
    }

    /// Stripe's `Stripe-Signature` for `payload`.
    static func signature(_ payload: [UInt8], secret: String, timestamp: Int64) -> String {
        var signed = Array("\(timestamp).".utf8)
        signed += payload
        let code = HMAC<SHA256>.authenticationCode(for: signed, using: SymmetricKey(data: Data(secret.utf8)))
        return "t=\(timestamp),v1=\(code.map { String(format: "%02x", $0) }.joined())"
    }
}
