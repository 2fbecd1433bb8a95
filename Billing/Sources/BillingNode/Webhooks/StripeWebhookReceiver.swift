import Billing
import Foundation
import Logging
import Metrics
import Payments

/// `POST /webhooks/stripe`: Stripe's word on a PaymentIntent, verified (``StripeWebhook``), applied
/// at most once per event, and only to the charge it names while that charge is still open. It
/// settles an open charge as the renewal engine's step (c) would (``RenewalDecision``), moving the
/// subscription only from the state the engine left it in; it never opens a charge, and an event
/// about an earlier attempt, or one that arrives after the engine settled the charge, changes
/// nothing. A `processing` or `requires_action` event marks an open charge whose answer was lost
/// as settling at the provider (and its subscription `action_required`); once a charge is so
/// marked, only a final event (succeeded, failed) moves it, so a late event never moves it back. Any node receives webhooks; their writes are conditional, not fenced.
struct StripeWebhookReceiver: Sendable {
    let store: any BillingStore
    /// The endpoint's signing secrets (`whsec_...`): more than one while a secret is rotated out.
    let secrets: [String]
    let dunning: DunningSchedule
    /// When the engine looks up a charge an event marks as settling at the provider, if no final event comes first.
    let settlementLookupInterval: Duration
    let logger: Logger
    /// Counts deliveries by outcome: `billing_webhooks_total{provider="stripe",outcome=...}`.
    let metrics: any MetricsFactory
    /// Unix seconds now, for the signature's tolerance.
    var now: @Sendable () -> Int64 = { Int64(Date().timeIntervalSince1970) }

    /// What a delivery got: an HTTP status and a short JSON-able account.
    struct Answer: Sendable, Equatable {
        let status: Int
        let outcome: String
        let detail: String
    }

    /// Handles one delivery. A database that does not answer is a 503, which Stripe retries.
    func receive(payload: [UInt8], signature: String?) async -> Answer {
        let answer: Answer
        do {
            answer = try await verifyAndApply(payload: payload, signature: signature)
        } catch let error as BillingError where error.code == .storeUnavailable {
            answer = Answer(status: 503, outcome: "retry", detail: error.message)
        } catch {
            logger.error("a Stripe webhook failed", metadata: ["error": "\(error)"])
            answer = Answer(status: 500, outcome: "failed", detail: "the delivery failed on the server; it was logged")
        }
        Counter(label: "billing_webhooks_total", dimensions: [("provider", "stripe"), ("outcome", answer.outcome)], factory: metrics)
            .increment()
        return answer
    }

    private func verifyAndApply(payload: [UInt8], signature: String?) async throws -> Answer {
        let signedAt: Int64
        let event: StripeWebhookEvent
        do {
            signedAt = try StripeWebhook.verify(payload: payload, header: signature, secrets: secrets, now: now())
            event = try StripeWebhookEvent(json: payload)
        } catch {
            return Answer(status: 400, outcome: "refused", detail: error.message)
        }
        let delivery = WebhookDelivery(
            provider: "stripe", eventID: event.id, eventType: event.type, signedAt: Timestamp(millisecondsSinceEpoch: signedAt * 1000))
        // A subscription that changes between the read and the write: decide again on the new row.
        for _ in 0..<3 {
            let (record, reason) = try await settlement(for: event)
            do {
                let result = try await store.recordWebhook(delivery, settling: record)
                switch result {
                case .replay:
                    return Answer(status: 409, outcome: result.name, detail: "this delivery of event \(event.id) was received before")
                case .ignored(let why):
                    return Answer(status: 200, outcome: result.name, detail: reason ?? why)
                case .settled, .marked, .duplicate:
                    logger.info("Stripe webhook", metadata: ["event": "\(event.id)", "type": "\(event.type)", "outcome": "\(result.name)"])
                    return Answer(status: 200, outcome: result.name, detail: "event \(event.id) (\(event.type))")
                }
            } catch let error as BillingError where error.code == .concurrentModification {
                continue
            }
        }
        return Answer(status: 503, outcome: "retry", detail: "the subscription kept changing; Stripe will deliver the event again")
    }

    /// The step (c) record `event` makes, or nil and why not.
    private func settlement(for event: StripeWebhookEvent) async throws -> (RenewalRecord?, String?) {
        guard let outcome = event.outcome, let intentID = event.paymentIntentID else {
            return (nil, "\(event.type) is not about a PaymentIntent")
        }
        switch outcome {
        case .succeeded, .declined, .processing, .requiresAction: break
        default: return (nil, "PaymentIntent \(intentID) is not final yet")
        }
        guard let subscriptionID = event.metadata["subscription_id"], let startText = event.metadata["period_start"],
            let start = try? Timestamp(iso8601: startText), let attempt = event.metadata["attempt"].flatMap(Int.init)
        else { return (nil, "PaymentIntent \(intentID) carries no renewal's metadata") }
        guard let row = try await store.subscription(id: subscriptionID), let subscription = try? row.validated() else {
            return (nil, "no valid subscription \(subscriptionID)")
        }
        guard
            let charge = try await store.charges(subscriptionID: subscriptionID).first(where: {
                $0.periodStart == start && $0.attempts == attempt
            })
        else { return (nil, "no charge of \(subscriptionID) for \(startText), attempt \(attempt)") }
        if let reference = charge.providerReference, reference != intentID {
            return (nil, "the charge is PaymentIntent \(reference), not \(intentID)")
        }
        if charge.isSettlingAtProvider, !outcome.isFinal {
            // Only a final event moves a charge that already waits for the provider: an older
            // event arriving late must not move it back.
            return (nil, "PaymentIntent \(intentID) is not final yet, and its charge already waits for it")
        }
        let now = try await store.currentTime()
        let decision = RenewalDecision.decide(
            subscription: subscription, charge: charge, outcome: outcome, now: now, dunning: dunning, retryOpenAt: now,
            lookUpAt: now + settlementLookupInterval)
        return (decision.record, nil)
    }
}
