import Billing
import Logging
import Metrics
import Payments

/// What a webhook delivery got: an HTTP status and a short account of what was done.
struct WebhookAnswer: Sendable, Equatable {
    let status: Int
    let outcome: String
    let detail: String
}

/// Applies a provider's verified event to the charge it names, as the renewal engine's step (c)
/// would (``RenewalDecision``), at most once per event, whatever the provider.
///
/// It settles an open charge and moves its subscription only from the state the engine left it
/// in; it never opens a charge, and an event about an earlier attempt, or one that arrives after
/// the charge was settled, changes nothing. A `processing` or action-required event marks an open
/// charge whose answer was lost as settling at the provider (and its subscription
/// `action_required`); once a charge is so marked, only a final event (succeeded, failed) moves
/// it, so a late event never moves it back. Any node receives webhooks; their writes are
/// conditional, not fenced.
struct WebhookSettler: Sendable {
    let store: any BillingStore
    let dunning: DunningSchedule
    /// When the engine looks up a charge an event marks as settling at the provider, if no final event comes first.
    let settlementLookupInterval: Duration
    let logger: Logger
    /// Counts deliveries by outcome: `billing_webhooks_total{provider=...,outcome=...}`.
    let metrics: any MetricsFactory

    /// Where an event's charge is, or why there is none.
    enum Located {
        case charge(Subscription, Charge)
        case nowhere(String)
    }

    /// Runs `handle` for one delivery of `provider`'s, turning an unreachable database into a 503
    /// (which providers retry), and counts the answer.
    func answer(provider: String, _ handle: () async throws -> WebhookAnswer) async -> WebhookAnswer {
        let answer: WebhookAnswer
        do {
            answer = try await handle()
        } catch let error as BillingError where error.code == .storeUnavailable {
            answer = WebhookAnswer(status: 503, outcome: "retry", detail: error.message)
        } catch {
            logger.error("a webhook failed", metadata: ["provider": "\(provider)", "error": "\(error)"])
            answer = WebhookAnswer(status: 500, outcome: "failed", detail: "the delivery failed on the server; it was logged")
        }
        Counter(label: "billing_webhooks_total", dimensions: [("provider", provider), ("outcome", answer.outcome)], factory: metrics)
            .increment()
        return answer
    }

    /// Records `delivery` and applies `outcome` (nil: nothing to apply) to the charge `locate`
    /// finds, deciding again when the subscription changed between the read and the write.
    func settle(
        _ delivery: WebhookDelivery, outcome: ChargeOutcome?, reference: String?, locate: () async throws -> Located
    ) async throws -> WebhookAnswer {
        for _ in 0..<3 {
            let (record, reason) = try await decide(outcome, reference: reference, locate: locate)
            do {
                let result = try await store.recordWebhook(delivery, settling: record)
                switch result {
                case .replay:
                    return WebhookAnswer(
                        status: 409, outcome: result.name, detail: "this delivery of event \(delivery.eventID) was received before")
                case .ignored(let why):
                    return WebhookAnswer(status: 200, outcome: result.name, detail: reason ?? why)
                case .settled, .marked, .duplicate:
                    logger.info(
                        "webhook",
                        metadata: [
                            "provider": "\(delivery.provider)", "event": "\(delivery.eventID)", "type": "\(delivery.eventType)",
                            "outcome": "\(result.name)",
                        ])
                    return WebhookAnswer(status: 200, outcome: result.name, detail: "event \(delivery.eventID) (\(delivery.eventType))")
                }
            } catch let error as BillingError where error.code == .concurrentModification {
                continue
            }
        }
        return WebhookAnswer(
            status: 503, outcome: "retry", detail: "the subscription kept changing; the provider will deliver the event again")
    }

    /// The step (c) record the event makes, or nil and why not.
    private func decide(
        _ outcome: ChargeOutcome?, reference: String?, locate: () async throws -> Located
    ) async throws -> (RenewalRecord?, String?) {
        guard let outcome, let reference else { return (nil, "the event settles no charge") }
        switch outcome {
        case .succeeded, .declined, .processing, .requiresAction: break
        default: return (nil, "\(reference) is not final yet")
        }
        let subscription: Subscription
        let charge: Charge
        switch try await locate() {
        case .nowhere(let why): return (nil, why)
        case .charge(let found, let its): (subscription, charge) = (found, its)
        }
        if let known = charge.providerReference, known != reference {
            return (nil, "the charge is \(known), not \(reference)")
        }
        if charge.isSettlingAtProvider, !outcome.isFinal {
            // Only a final event moves a charge that already waits for the provider: an older
            // event arriving late must not move it back.
            return (nil, "\(reference) is not final yet, and its charge already waits for it")
        }
        let now = try await store.currentTime()
        let decision = RenewalDecision.decide(
            subscription: subscription, charge: charge, outcome: outcome, now: now, dunning: dunning, retryOpenAt: now,
            lookUpAt: now + settlementLookupInterval)
        return (decision.record, nil)
    }

    /// The subscription `id` if it is valid, with the charge `matching` picks among its charges.
    func locate(subscriptionID id: String, describing what: String, matching: (Charge) -> Bool) async throws -> Located {
        guard let charge = try await store.charges(subscriptionID: id).first(where: matching) else {
            return .nowhere("no charge of \(id) \(what)")
        }
        return try await locate(charge)
    }

    /// `charge` with its subscription, if that is valid.
    func locate(_ charge: Charge) async throws -> Located {
        guard let row = try await store.subscription(id: charge.subscriptionID), let subscription = try? row.validated() else {
            return .nowhere("no valid subscription \(charge.subscriptionID)")
        }
        return .charge(subscription, charge)
    }
}
