import Payments

/// A payment provider that passes every charge to another one and records each answer in the
/// node's state, for the status API and the dashboard. It changes nothing about the charge.
struct RecordingProvider: PaymentProvider {
    let base: any PaymentProvider
    let state: NodeState

    func charge(_ request: ChargeRequest) async throws -> ChargeOutcome {
        let outcome: ChargeOutcome
        do {
            outcome = try await base.charge(request)
        } catch {
            state.record(event(request, outcome: "error", declineCode: nil))
            throw error
        }
        switch outcome {
        case .succeeded:
            state.record(event(request, outcome: "succeeded", declineCode: nil))
        case .declined(let code, let declineCode, _, _, _):
            state.record(event(request, outcome: "declined", declineCode: declineCode ?? code))
        case .retryable:
            state.record(event(request, outcome: "retryable", declineCode: nil))
        case .rateLimited:
            state.record(event(request, outcome: "rate_limited", declineCode: nil))
        case .idempotencyConflict:
            state.record(event(request, outcome: "conflict", declineCode: nil))
        case .unknown:
            state.record(event(request, outcome: "unknown", declineCode: nil))
        }
        return outcome
    }

    private func event(_ request: ChargeRequest, outcome: String, declineCode: String?) -> ChargeEvent {
        ChargeEvent(
            atMs: WallClock.nowMs(), key: request.idempotencyKey, amountMinor: request.amountMinor,
            currency: request.currency, outcome: outcome, declineCode: declineCode
        )
    }
}
