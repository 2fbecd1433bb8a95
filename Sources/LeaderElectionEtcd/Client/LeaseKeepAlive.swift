import GRPCCore
import LeaderElection
import Logging
import Synchronization

/// Renews leases over etcd's bidirectional `LeaseKeepAlive` stream: one stream per client,
/// shared by every lease, reopened on another member when it breaks or stops answering.
///
/// Each ``renew(_:timeout:)`` writes one request and is answered by the answer to exactly that
/// request (``KeepAliveRequests`` does the matching), so a caller's send time really precedes the
/// renewal the server made: a late answer to a request whose caller gave up is dropped, and an
/// answer from a replaced stream is never taken for one of the new stream.
///
/// Not guaranteed: that a request whose caller gave up was not processed (it may still renew the
/// lease, later); that a request is answered at all (the caller's timeout bounds the wait).
final class LeaseKeepAlive: Sendable {
    private typealias Waiter = CheckedContinuation<KeepAliveAnswer, any Error>

    private struct State {
        /// Every request not answered yet, and the open stream's generation.
        var requests = KeepAliveRequests<Waiter>()
        /// Writes requests into the open stream; nil while none is open (set with
        /// `requests.openStream`, under the same lock, so a request goes to the stream it is
        /// recorded for).
        var writer: AsyncStream<Int64>.Continuation?
        /// Ends the open stream so that the run loop opens another one.
        var restart: AsyncStream<Void>.Continuation?
        /// Requests whose ID is handed out but which are not recorded yet.
        var unregistered: Set<UInt64> = []
        /// Of those, the ones whose caller gave up first: they are refused when they get there.
        var cancelledEarly: Set<UInt64> = []
        var nextID: UInt64 = 0
        var stopped = false
        /// Stream attempts that failed in a row (for the reconnect backoff).
        var failuresInARow = 0
    }

    private let state = Mutex(State())
    private let client: EtcdClient
    private let clock = ContinuousClock()
    /// How long the stream may owe an answer before a caller that gives up takes it as stuck and
    /// moves it to the next member: a tenth of ``EtcdConfiguration/requestTimeout`` (200 ms by
    /// default).
    ///
    /// A serving member answers a keep-alive within a round trip (two from a follower, which asks
    /// the Raft leader): milliseconds. Callers give up for two reasons: their renewal took too long
    /// (the election gives up after its renew interval, a third of the TTL by default: 333 ms for a
    /// 1 s TTL), or their term ended while a renewal was in flight (for milliseconds, usually). Only
    /// the first says anything about the member, and restarting the shared stream fails every
    /// other lease's renewal in flight, so a short wait leaves the stream alone (the request's
    /// placeholder drops its answer). The whole request timeout would be too long: the election
    /// gives up sooner, and would lose a short lease to one stuck member. Measured on the oldest
    /// unanswered request, so that callers giving up quickly one after another on a stuck stream
    /// still move it on.
    let stuckAfter: Duration

    init(client: EtcdClient) {
        self.client = client
        stuckAfter = client.configuration.requestTimeout / 10
    }

    /// Sends one keep-alive for `lease` and returns etcd's answer (a TTL of 0 or less: the lease is gone).
    /// - Throws: `ElectionError.Code.storeUnavailable` when no answer arrives within `timeout`
    ///   or the stream breaks (a stuck stream then moves to another member); `CancellationError`.
    func renew(_ lease: Int64, timeout: Duration) async throws -> KeepAliveAnswer {
        try await withThrowingTaskGroup(of: KeepAliveAnswer?.self) { group in
            group.addTask { try await self.renew(lease) }
            group.addTask {
                try await Task.sleep(for: timeout)
                return nil
            }
            // Cancelling the request gives it up (see `giveUp`), which also moves a stuck stream on.
            defer { group.cancelAll() }
            guard let first = try await group.next(), let answer = first else {
                try Task.checkCancellation()
                throw ElectionError.storeUnavailable(
                    "etcd did not answer the keep-alive of lease \(LeaseID(lease)) within \(timeout) (endpoints \(client.endpointList)); the stream moves to the next member"
                )
            }
            return answer
        }
    }

    private func renew(_ lease: Int64) async throws -> KeepAliveAnswer {
        let id = state.withLock { state -> UInt64 in
            state.nextID += 1
            state.unregistered.insert(state.nextID)
            return state.nextID
        }
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: Waiter) in
                let now = clock.now
                let refusal = state.withLock { state -> (any Error)? in
                    state.unregistered.remove(id)
                    if state.cancelledEarly.remove(id) != nil { return CancellationError() }
                    if state.stopped {
                        return ElectionError.storeUnavailable("the etcd backend is shut down; lease \(LeaseID(lease)) cannot be renewed")
                    }
                    if state.requests.add(id: id, lease: lease, waiter: continuation, now: now) != nil {
                        state.writer?.yield(lease)
                    }
                    return nil
                }
                if let refusal { continuation.resume(throwing: refusal) }
            }
        } onCancel: {
            giveUp(id: id, lease: lease)
        }
    }

    /// The caller of request `id` gave up (cancelled, or its timeout passed). Its request stays
    /// on the wire, so its place stays in the queue; when the stream has owed an answer for
    /// ``stuckAfter``, the stream is taken as stuck and restarted.
    private func giveUp(id: UInt64, lease: Int64) {
        let now = clock.now
        let (waiter, restarted) = state.withLock { state -> (Waiter?, [Waiter]?) in
            guard !state.unregistered.contains(id) else {
                state.cancelledEarly.insert(id)
                return (nil, nil)
            }
            let waiter = state.requests.abandon(id: id, lease: lease)
            guard let generation = state.requests.openStream,
                let oldest = state.requests.oldestUnanswered,
                oldest.duration(to: now) >= stuckAfter
            else { return (waiter, nil) }
            return (waiter, Self.closeStream(&state, generation: generation))
        }
        waiter?.resume(throwing: CancellationError())
        guard let orphans = restarted else { return }
        client.logger.debug(
            "restarting the lease keep-alive stream", metadata: ["reason": "it owes a keep-alive answer for \(stuckAfter) or more"])
        fail(orphans, "the lease keep-alive stream to etcd stopped answering and is moved to the next member; the renewal is retried")
    }

    /// Closes the stream of `generation` at once, under the lock: requests made from now on wait
    /// for the next stream, answers still arriving on this one are dropped, and the run loop is
    /// told to open the next one. Returns the waiters of its unanswered requests (to fail).
    private static func closeStream(_ state: inout State, generation: UInt64) -> [Waiter] {
        let orphans = state.requests.streamClosed(generation: generation)
        state.writer?.finish()
        state.writer = nil
        state.restart?.yield()
        state.restart = nil
        return orphans
    }

    private func fail(_ waiters: [Waiter], _ message: String) {
        for waiter in waiters { waiter.resume(throwing: ElectionError.storeUnavailable(message)) }
    }

    /// Delivers one answer from the stream of `generation` to the request it answers.
    private func deliver(_ response: Etcdserverpb_LeaseKeepAliveResponse, generation: UInt64) {
        let match = state.withLock { state -> KeepAliveRequests<Waiter>.Match in
            let match = state.requests.answer(lease: response.id, generation: generation)
            switch match {
            case .waiter, .abandoned: state.failuresInARow = 0
            case .staleStream, .unexpected: break
            }
            return match
        }
        switch match {
        case .waiter(let waiter):
            waiter.resume(returning: KeepAliveAnswer(ttl: response.ttl, raftTerm: response.header.raftTerm))
        case .abandoned:
            client.logger.trace("dropped the answer to a keep-alive whose caller gave up", metadata: ["lease": "\(LeaseID(response.id))"])
        case .staleStream:
            client.logger.trace("dropped a keep-alive answer from a replaced stream", metadata: ["lease": "\(LeaseID(response.id))"])
        case .unexpected:
            client.logger.debug("dropped a keep-alive answer that no request awaits", metadata: ["lease": "\(LeaseID(response.id))"])
        }
    }

    /// Ends ``run()`` and fails every waiting caller.
    func shutdown() {
        let restart = state.withLock { state -> AsyncStream<Void>.Continuation? in
            state.stopped = true
            return state.restart
        }
        restart?.finish()
    }

    /// Keeps a stream open until ``shutdown()`` or cancellation.
    func run() async {
        while !Task.isCancelled {
            let (outgoing, writer) = AsyncStream<Int64>.makeStream()
            let (restartSignal, restart) = AsyncStream<Void>.makeStream()
            let now = clock.now
            let opened = state.withLock { state -> UInt64? in
                guard !state.stopped else { return nil }
                let (generation, leases) = state.requests.streamOpened(now: now)
                state.writer = writer
                state.restart = restart
                for lease in leases { writer.yield(lease) }
                return generation
            }
            guard let generation = opened else { break }
            do {
                try await client.stream("lease keep-alive stream") { grpc, metadata, options in
                    try await withThrowingTaskGroup(of: Void.self) { group in
                        group.addTask {
                            try await Etcdserverpb_Lease.Client(wrapping: grpc).leaseKeepAlive(
                                metadata: metadata,
                                options: options,
                                requestProducer: { requests in
                                    for await lease in outgoing { try await requests.write(.with { $0.id = lease }) }
                                },
                                onResponse: { response in
                                    for try await message in response.messages { self.deliver(message, generation: generation) }
                                    throw ElectionError.storeUnavailable("etcd ended the lease keep-alive stream")
                                }
                            )
                        }
                        group.addTask {
                            for await _ in restartSignal { break }
                            throw ElectionError.storeUnavailable("the lease keep-alive stream was restarted")
                        }
                        defer { group.cancelAll() }
                        try await group.next()
                    }
                }
            } catch {
                if !Task.isCancelled {
                    client.logger.debug("lease keep-alive stream ended", metadata: ["error": "\(error)"])
                }
            }
            let (orphans, failures) = state.withLock { state -> ([Waiter], Int) in
                // Nothing to do when a stuck stream was already closed by `giveUp`.
                let orphans = Self.closeStream(&state, generation: generation)
                state.failuresInARow += 1
                return (orphans, state.failuresInARow)
            }
            writer.finish()
            restart.finish()
            fail(orphans, "the lease keep-alive stream to etcd broke; the renewal is retried")
            let delay = Duration.milliseconds(min(1000, 25 << min(failures, 6)))
            do { try await Task.sleep(for: delay) } catch { break }
        }
        let orphans = state.withLock { state -> [Waiter] in
            state.stopped = true
            state.writer = nil
            state.restart = nil
            return state.requests.removeAll()
        }
        fail(orphans, "the etcd backend is shut down")
    }
}
