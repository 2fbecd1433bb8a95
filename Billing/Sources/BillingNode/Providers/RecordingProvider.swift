import Payments

/// A payment provider that passes every charge to another one and records each answer in the
/// node's state, for the status API and the dashboard, and in its event log when it has one. It
/// changes nothing about the charge.
struct RecordingProvider: PaymentProvider {
    let base: any PaymentProvider
    let state: NodeState
    let eventLog: NodeEventLog?

    func charge(_ request: ChargeRequest) async throws -> ChargeOutcome {
        let outcome: ChargeOutcome
        let start = NodeEventLog.realNowMs()
        do {
            outcome = try await base.charge(request)
        } catch {
            state.record(event(request, outcome: "error", declineCode: nil))
            log(request, start: start, result: "error", detail: "\(error)")
            throw error
        }
        let name: String
        var declineCode: String?
        switch outcome {
        case .succeeded: name = "succeeded"
        case .declined(let code, let decline, _, _, _):
            name = "declined"
            declineCode = decline ?? code
        case .retryable: name = "retryable"
        case .rateLimited: name = "rate_limited"
        case .idempotencyConflict: name = "conflict"
        case .unknown: name = "unknown"
        case .processing: name = "processing"
        case .requiresAction: name = "requires_action"
        }
        state.record(event(request, outcome: name, declineCode: declineCode))
        log(request, start: start, result: name, detail: nil)
        return outcome
    }

    func lookUpCharge(_ request: ChargeRequest) async throws -> ChargeLookupResult {
        let start = NodeEventLog.realNowMs()
        do {
            let result = try await base.lookUpCharge(request)
            log(request, start: start, result: "lookup", detail: "\(result)")
            return result
        } catch {
            log(request, start: start, result: "lookup_error", detail: "\(error)")
            throw error
        }
    }

    var idempotencyKeyRetention: Duration { base.idempotencyKeyRetention }

    private func log(_ request: ChargeRequest, start: Int64, result: String, detail: String?) {
        eventLog?.append(
            .charge, token: NodeEventLog.currentToken, startMs: start, subscription: request.metadata["subscription_id"],
            key: request.idempotencyKey, result: result, detail: detail
        )
    }

    private func event(_ request: ChargeRequest, outcome: String, declineCode: String?) -> ChargeEvent {
        ChargeEvent(
            atMs: WallClock.nowMs(), key: request.idempotencyKey, amountMinor: request.amountMinor,
            currency: request.currency, outcome: outcome, declineCode: declineCode
        )
    }
}
