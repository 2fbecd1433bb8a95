import Billing
import Payments
import Synchronization

/// An in-memory payment provider that behaves like Stripe where exactly-once depends on it: it
/// applies each idempotency key at most once and replays the first final answer (success or
/// decline) to every later request with that key; the same key with other parameters is an
/// idempotency conflict. Faults are scripted per request.
final class FakePaymentProvider: PaymentProvider {
    /// What the provider does with one request.
    enum Fault: Sendable, Hashable {
        /// Charge (or replay).
        case none
        /// Decline, recording the decline for the key (so a retry with the key replays it).
        case decline(hard: Bool)
        /// A 5xx before anything happened; nothing recorded.
        case retryable
        /// A 429; nothing recorded.
        case rateLimited(retryAfter: Duration?)
        /// A timeout before the request arrived; nothing applied or recorded.
        case unknownBeforeApplying
        /// The charge is applied and recorded, but the response is lost.
        case lostResponse
        /// Another request with this key is in flight; nothing recorded.
        case conflict
    }

    struct Request: Sendable, Hashable {
        var amountMinor: Int64
        var currency: String
        var customer: String
        var paymentMethod: String
    }

    private struct State {
        var finalOutcomes: [String: ChargeOutcome] = [:]
        var parameters: [String: Request] = [:]
        var appliedPerKey: [String: Int] = [:]
        var appliedPerPeriod: [String: Int] = [:]
        var callsPerKey: [String: Int] = [:]
        var calls = 0
        var nextReference = 0
    }

    private let state = Mutex(State())
    private let script: @Sendable (_ request: ChargeRequest, _ callForKey: Int) -> Fault

    /// `script` picks the fault of each request, given the request and how many times its key was
    /// seen before this call (0 for the first).
    init(script: @escaping @Sendable (_ request: ChargeRequest, _ callForKey: Int) -> Fault = { _, _ in .none }) {
        self.script = script
    }

    func charge(_ request: ChargeRequest) async throws -> ChargeOutcome {
        try Task.checkCancellation()
        let parameters = Request(amountMinor: request.amountMinor, currency: request.currency, customer: request.customer, paymentMethod: request.paymentMethod)
        let period = "\(request.metadata["subscription_id"] ?? "?")@\(request.metadata["period_start"] ?? "?")"
        return state.withLock { state in
            let seen = state.callsPerKey[request.idempotencyKey, default: 0]
            state.callsPerKey[request.idempotencyKey] = seen + 1
            state.calls += 1
            if let earlier = state.parameters[request.idempotencyKey], earlier != parameters {
                return .idempotencyConflict(message: "key \(request.idempotencyKey) was used with other parameters")
            }
            if let replay = state.finalOutcomes[request.idempotencyKey] {
                return replay
            }
            func apply() -> ChargeOutcome {
                state.nextReference += 1
                let outcome = ChargeOutcome.succeeded(reference: "pi_\(state.nextReference)")
                state.finalOutcomes[request.idempotencyKey] = outcome
                state.parameters[request.idempotencyKey] = parameters
                state.appliedPerKey[request.idempotencyKey, default: 0] += 1
                state.appliedPerPeriod[period, default: 0] += 1
                return outcome
            }
            switch script(request, seen) {
            case .none:
                return apply()
            case .decline(let hard):
                let outcome = ChargeOutcome.declined(
                    code: "card_declined", declineCode: hard ? "expired_card" : "insufficient_funds",
                    message: "declined", hard: hard, reference: nil
                )
                state.finalOutcomes[request.idempotencyKey] = outcome
                state.parameters[request.idempotencyKey] = parameters
                return outcome
            case .retryable:
                return .retryable(message: "injected 500")
            case .rateLimited(let retryAfter):
                return .rateLimited(retryAfter: retryAfter)
            case .unknownBeforeApplying:
                return .unknown(message: "injected timeout before the request arrived")
            case .lostResponse:
                _ = apply()
                return .unknown(message: "injected lost response")
            case .conflict:
                return .idempotencyConflict(message: "injected: a request with this key is in flight")
            }
        }
    }

    /// How many times the key's charge was applied.
    func applied(key: String) -> Int { state.withLock { $0.appliedPerKey[key, default: 0] } }

    /// How many charges were applied for a subscription's period, over all keys.
    func applied(subscriptionID: String, periodStart: Timestamp) -> Int {
        state.withLock { $0.appliedPerPeriod["\(subscriptionID)@\(periodStart.iso8601)", default: 0] }
    }

    /// Every period charged, with how many times.
    var appliedPerPeriod: [String: Int] { state.withLock { $0.appliedPerPeriod } }

    /// Requests received in all.
    var calls: Int { state.withLock { $0.calls } }

    /// Requests received with `key`.
    func calls(key: String) -> Int { state.withLock { $0.callsPerKey[key, default: 0] } }
}
