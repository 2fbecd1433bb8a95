import Billing
import Payments
import Synchronization

/// An in-memory payment provider that behaves like Stripe where exactly-once depends on it: it
/// applies each idempotency key at most once and replays the first final answer (success or
/// decline) to every later request with that key; the same key with other parameters is an
/// idempotency conflict. Faults are scripted per request.
///
/// Like Stripe, it forgets a key `retention` after the key was applied (on the `now` clock, when
/// given): a request with a forgotten key is a new charge. It can be made unreachable (every
/// request "not sent", nothing recorded) and looks charges up by the metadata they carry.
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
        /// The provider rejects the request itself (a 400 that is not a decline, e.g. a payment
        /// method that no longer exists): throws ``PaymentError/Code/invalidRequest``; nothing recorded.
        case invalidRequest
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
        var keyAppliedAt: [String: Timestamp] = [:]
        var reachable = true
        /// Every charge made or declined, as a lookup finds it: (subscription, period, attempt) and its outcome.
        var madeCharges: [(references: String, outcome: ChargeOutcome)] = []
        var lookups = 0
    }

    private let state = Mutex(State())
    private let script: @Sendable (_ request: ChargeRequest, _ callForKey: Int) -> Fault
    private let retention: Duration?
    private let clock: ManualBillingClock?

    /// `script` picks the fault of each request, given the request and how many times its key was
    /// seen before this call (0 for the first). With `retention` and `clock`, keys are forgotten
    /// `retention` after they were applied, on that clock.
    init(
        retention: Duration? = nil, clock: ManualBillingClock? = nil,
        script: @escaping @Sendable (_ request: ChargeRequest, _ callForKey: Int) -> Fault = { _, _ in .none }
    ) {
        self.script = script
        self.retention = retention
        self.clock = clock
    }

    /// Cuts the provider off (every request is "not reached", nothing is recorded, lookups are
    /// unavailable) or lets requests through again.
    func setReachable(_ reachable: Bool) { state.withLock { $0.reachable = reachable } }

    /// How long keys are kept.
    var idempotencyKeyRetention: Duration { retention ?? .seconds(24 * 3600) }

    private static func references(_ request: ChargeRequest) -> String {
        "\(request.metadata["subscription_id"] ?? "?")@\(request.metadata["period_start"] ?? "?")#\(request.metadata["attempt"] ?? "?")"
    }

    func lookUpCharge(_ request: ChargeRequest) async throws -> ChargeLookupResult {
        state.withLock { state in
            state.lookups += 1
            guard state.reachable else { return .unavailable("injected: connection refused") }
            let found = state.madeCharges.filter { $0.references == Self.references(request) }
            switch found.count {
            case 0: return .notFound
            case 1: return .found(found[0].outcome)
            default: return .ambiguous("\(found.count) charges carry \(Self.references(request))")
            }
        }
    }

    /// Lookups asked for in all.
    var lookups: Int { state.withLock { $0.lookups } }

    func charge(_ request: ChargeRequest) async throws -> ChargeOutcome {
        try Task.checkCancellation()
        let parameters = Request(
            amountMinor: request.amountMinor, currency: request.currency, customer: request.customer, paymentMethod: request.paymentMethod)
        let period = "\(request.metadata["subscription_id"] ?? "?")@\(request.metadata["period_start"] ?? "?")"
        let answer: ChargeOutcome? = state.withLock { state in
            let seen = state.callsPerKey[request.idempotencyKey, default: 0]
            state.callsPerKey[request.idempotencyKey] = seen + 1
            state.calls += 1
            guard state.reachable else { return .retryable(message: "injected: connection refused, nothing sent") }
            if let retention, let now = clock?.instant, let appliedAt = state.keyAppliedAt[request.idempotencyKey],
                appliedAt + retention <= now
            {
                // Pruned, as Stripe prunes keys after 24 hours: the next request is a new charge.
                state.finalOutcomes[request.idempotencyKey] = nil
                state.parameters[request.idempotencyKey] = nil
                state.keyAppliedAt[request.idempotencyKey] = nil
            }
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
                state.madeCharges.append((Self.references(request), outcome))
                if let now = clock?.instant { state.keyAppliedAt[request.idempotencyKey] = now }
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
                state.madeCharges.append((Self.references(request), outcome))
                if let now = clock?.instant { state.keyAppliedAt[request.idempotencyKey] = now }
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
            case .invalidRequest:
                return nil
            }
        }
        guard let answer else {
            throw PaymentError(code: .invalidRequest, message: "injected: No such PaymentMethod: '\(request.paymentMethod)' (HTTP 400)")
        }
        return answer
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
