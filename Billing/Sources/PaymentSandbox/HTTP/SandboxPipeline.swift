import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle

/// The path every provider API request takes: faults, idempotency, processing, saving, answering.
///
/// Order: the `Sandbox-Fault` header (or a draw from the rates) decides the faults; a 429 or 500
/// is answered before the idempotency layer (nothing applied, nothing saved); then the key is
/// claimed (replay, 400 conflict or 409 in flight otherwise); latency passes with the key in
/// flight; a hang ends here (key released unapplied, connection closed); a late request is held
/// longer still; otherwise the request is processed and its answer saved in one critical section;
/// a lost or late answer closes the connection.
struct SandboxPipeline: Sendable {
    let state: SandboxState
    let logger: Logger

    /// What identifies a request to the idempotency layer.
    struct Idempotency {
        var scope: IdempotencyScope
        var fingerprint: String
    }

    /// Runs one request through the pipeline.
    func run(
        _ request: Request,
        context: SandboxRequestContext,
        dialect: some ProviderDialect,
        idempotency: Idempotency?,
        process: @Sendable (inout SandboxStorage, String) -> SandboxState.Processed
    ) async throws -> Response {
        let plan: FaultPlan
        if let header = request.headers[SandboxHeaders.sandboxFault] {
            do {
                plan = try FaultPlan(parsing: header)
            } catch let error as PaymentSandboxError {
                state.count(.none)
                return dialect.badRequest(error.message, param: nil, requestID: SandboxIDs.make("req_", length: 14)).response()
            }
        } else {
            plan = state.drawFaults()
        }
        state.count(plan)
        let requestID = SandboxIDs.make("req_", length: 14)

        switch plan.action {
        case .serverError, .rateLimited:
            if idempotency.map({ !state.hasAnswer($0.scope) }) ?? true { state.countOnFirstRequest(plan.action) }
        default:
            break
        }
        switch plan.action {
        case .serverError:
            try await delay(plan)
            return marked(dialect.serverError(requestID: requestID).response(), plan)
        case .rateLimited(let retryAfter):
            try await delay(plan)
            let wait = retryAfter ?? state.withStorage { $0.faults.retryAfter }
            return marked(dialect.rateLimited(retryAfter: wait, requestID: requestID).response(), plan)
        default:
            break
        }

        var claimed: IdempotencyScope?
        if let idempotency {
            switch state.claim(idempotency.scope, fingerprint: idempotency.fingerprint) {
            case .claimed:
                claimed = idempotency.scope
                state.countOnFirstRequest(plan.action)
            case .inFlight:
                return dialect.inFlight(key: idempotency.scope.key, requestID: requestID).response()
            case .conflict:
                try await delay(plan)
                return dialect.idempotencyConflict(key: idempotency.scope.key, requestID: requestID).response()
            case .replay(let saved, let originalRequestID):
                try await delay(plan)
                if case .hang(let duration) = plan.action {
                    try? await hold(for: duration)
                    await close(context)
                    return Response(status: .ok)
                }
                if case .lost = plan.action {
                    await close(context)
                    return Response(status: .ok)
                }
                if case .late(let duration) = plan.action {
                    try? await hold(for: duration ?? state.withStorage { $0.faults.lateDuration })
                    await close(context)
                    return Response(status: .ok)
                }
                if case .garbage = plan.action { return marked(Self.garbage, plan) }
                var response = saved.response(replayed: true)
                response.headers[SandboxHeaders.originalRequest] = originalRequestID
                return marked(response, plan)
            }
        }

        if idempotency == nil { state.countOnFirstRequest(plan.action) }
        let answer: SavedResponse
        do {
            try await delay(plan)
            if case .hang(let duration) = plan.action {
                try? await hold(for: duration)
                if let claimed { state.release(claimed) }
                await close(context)
                return Response(status: .ok)
            }
            if case .late(let duration) = plan.action {
                // Held past the client's patience, the key in flight; applied below all the same.
                try? await hold(for: duration ?? state.withStorage { $0.faults.lateDuration })
            }
            answer = state.process(claimed, fingerprint: idempotency?.fingerprint ?? "") { storage in
                process(&storage, requestID)
            }
        } catch {
            if let claimed { state.release(claimed) }
            throw error
        }
        switch plan.action {
        case .lost, .late:
            logger.debug("sandbox: applied a request and dropped its answer")
            await close(context)
            return Response(status: .ok)
        case .garbage:
            return marked(Self.garbage, plan)
        default:
            return marked(answer.response(), plan)
        }
    }

    /// What the `garbage` fault sends: HTTP 200, not JSON.
    static var garbage: Response {
        Response(
            status: .ok,
            headers: [.contentType: "application/json"],
            body: ResponseBody(byteBuffer: ByteBuffer(string: "<html><body>502 Bad Gateway \u{1}\u{2}</body></html>"))
        )
    }

    /// Holds a request without answering for `duration` (or the configured hang time); ends early
    /// at graceful shutdown or cancellation.
    private func hold(for duration: Duration?) async throws {
        let hang = duration ?? state.withStorage { $0.faults.hangDuration }
        logger.debug("sandbox: holding a request without answering", metadata: ["for": "\(hang)"])
        try await cancelWhenGracefulShutdown { try await Task.sleep(for: hang) }
    }

    /// Sleeps for the plan's latency, if any.
    private func delay(_ plan: FaultPlan) async throws {
        if let latency = plan.latency, latency > .zero { try await Task.sleep(for: latency) }
    }

    /// Ends the connection without an answer.
    ///
    /// Shuts the socket's output down before closing it: close(2) alone sends no FIN while
    /// another process still holds the descriptor (NIO's sockets are not close-on-exec, so a
    /// process spawned while the connection was open inherits it), and the client would then
    /// wait for its whole timeout instead of seeing the connection end. shutdown(2) acts on the
    /// connection itself, whoever else holds it.
    private func close(_ context: SandboxRequestContext) async {
        try? await context.channel.close(mode: .output).get()
        try? await context.channel.close().get()
    }

    /// Tells the client which fault it met (absent when none).
    private func marked(_ response: Response, _ plan: FaultPlan) -> Response {
        guard plan != .none else { return response }
        var response = response
        response.headers[SandboxHeaders.sandboxFaultApplied] = plan.description
        return response
    }
}
