import GRPCCore
import LeaderElection
import Logging
import Synchronization

/// Renews leases over etcd's bidirectional `LeaseKeepAlive` stream: one stream per client,
/// shared by every lease, reopened on another member when it breaks or stops answering.
///
/// Each ``renew(_:timeout:)`` writes one request and is answered by the response to exactly that
/// request (responses to one lease arrive in request order), so a caller's send time really
/// precedes the renewal the server made.
final class LeaseKeepAlive: Sendable {
    private struct Waiter {
        let id: UInt64
        let continuation: CheckedContinuation<Int64, any Error>
    }

    private struct State {
        /// Writes requests into the open stream; nil while none is open.
        var writer: AsyncStream<Int64>.Continuation?
        /// Ends the open stream so that the run loop opens another one.
        var restart: AsyncStream<Void>.Continuation?
        /// Callers waiting for a response, per lease, in request order.
        var waiters: [Int64: [Waiter]] = [:]
        /// Requests made while no stream was open, sent when the next one opens.
        var unsent: [Int64] = []
        /// Callers cancelled before they were registered.
        var cancelledEarly: Set<UInt64> = []
        var nextID: UInt64 = 0
        var stopped = false
        /// Stream attempts that failed in a row (for the reconnect backoff).
        var failuresInARow = 0
    }

    private let state = Mutex(State())
    private let client: EtcdClient

    init(client: EtcdClient) {
        self.client = client
    }

    /// Sends one keep-alive for `lease` and returns the TTL etcd answered (0 or less: the lease is gone).
    /// - Throws: ``ElectionError/Code/storeUnavailable`` when no answer arrives within `timeout`
    ///   or the stream breaks (the stream then moves to another member); `CancellationError`.
    func renew(_ lease: Int64, timeout: Duration) async throws -> Int64 {
        try await withThrowingTaskGroup(of: Int64?.self) { group in
            group.addTask { try await self.renew(lease) }
            group.addTask {
                try await Task.sleep(for: timeout)
                return nil
            }
            defer { group.cancelAll() }
            let first: Int64??
            do {
                first = try await group.next()
            } catch is CancellationError {
                // The caller gave up first (the election's own deadline is often shorter than
                // `timeout`). An unanswered keep-alive means this member is not serving the
                // stream: move on all the same, or a stuck stream would fail every renewal to
                // come, and a late answer to this request would be taken for the next one's.
                restartStream(reason: "a keep-alive went unanswered until its caller gave up")
                throw CancellationError()
            }
            guard let first, let ttl = first else {
                try Task.checkCancellation()
                // No answer in time: the member may be stuck (paused, partitioned). Move on.
                restartStream(reason: "no keep-alive response within \(timeout)")
                throw ElectionError.storeUnavailable(
                    "etcd did not answer the keep-alive of lease \(LeaseID(lease)) within \(timeout) (endpoints \(client.endpointList)); the stream moves to the next member"
                )
            }
            return ttl
        }
    }

    private func renew(_ lease: Int64) async throws -> Int64 {
        let id = state.withLock { state -> UInt64 in
            state.nextID += 1
            return state.nextID
        }
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Int64, any Error>) in
                let refusal = state.withLock { state -> (any Error)? in
                    if state.cancelledEarly.remove(id) != nil { return CancellationError() }
                    if state.stopped {
                        return ElectionError.storeUnavailable("the etcd backend is shut down; lease \(LeaseID(lease)) cannot be renewed")
                    }
                    state.waiters[lease, default: []].append(Waiter(id: id, continuation: continuation))
                    if let writer = state.writer { writer.yield(lease) } else { state.unsent.append(lease) }
                    return nil
                }
                if let refusal { continuation.resume(throwing: refusal) }
            }
        } onCancel: {
            let waiter = state.withLock { state -> Waiter? in
                guard let index = state.waiters[lease]?.firstIndex(where: { $0.id == id }) else {
                    state.cancelledEarly.insert(id)
                    return nil
                }
                return state.waiters[lease]?.remove(at: index)
            }
            waiter?.continuation.resume(throwing: CancellationError())
        }
    }

    /// Delivers one response to the oldest caller waiting for that lease.
    private func deliver(_ response: Etcdserverpb_LeaseKeepAliveResponse) {
        let waiter = state.withLock { state -> Waiter? in
            state.failuresInARow = 0
            guard var queue = state.waiters[response.id], !queue.isEmpty else { return nil }
            let first = queue.removeFirst()
            state.waiters[response.id] = queue.isEmpty ? nil : queue
            return first
        }
        waiter?.continuation.resume(returning: response.ttl)
    }

    /// Ends the open stream; the run loop reopens it on the next member.
    func restartStream(reason: String) {
        let restart = state.withLock { $0.restart }
        if restart != nil { client.logger.debug("restarting the lease keep-alive stream", metadata: ["reason": "\(reason)"]) }
        restart?.yield()
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
            let stopped = state.withLock { state -> Bool in
                guard !state.stopped else { return true }
                state.writer = writer
                state.restart = restart
                for lease in state.unsent { writer.yield(lease) }
                state.unsent = []
                return false
            }
            if stopped { break }
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
                                    for try await message in response.messages { self.deliver(message) }
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
                state.writer = nil
                state.restart = nil
                state.failuresInARow += 1
                let orphans = state.waiters.values.flatMap { $0 }
                state.waiters = [:]
                return (orphans, state.failuresInARow)
            }
            writer.finish()
            restart.finish()
            for orphan in orphans {
                orphan.continuation.resume(throwing: ElectionError.storeUnavailable("the lease keep-alive stream to etcd broke; the renewal is retried"))
            }
            let delay = Duration.milliseconds(min(1000, 25 << min(failures, 6)))
            do { try await Task.sleep(for: delay) } catch { break }
        }
        let orphans = state.withLock { state -> [Waiter] in
            state.stopped = true
            defer { state.waiters = [:] }
            return state.waiters.values.flatMap { $0 }
        }
        for orphan in orphans {
            orphan.continuation.resume(throwing: ElectionError.storeUnavailable("the etcd backend is shut down"))
        }
    }
}
