/// Which keep-alive request each answer on etcd's `LeaseKeepAlive` stream answers. Free of IO:
/// ``LeaseKeepAlive`` feeds it events under its lock and carries out what it returns.
///
/// etcd answers the requests of one stream one by one, in the order they arrived, and an answer
/// carries only the lease ID and the TTL. So an answer is matched by order: it belongs to the
/// oldest request for its lease that the same stream carried and that has not been answered yet.
/// Two things would break that order, and both are kept apart here:
/// - A caller that gives up leaves its request on the wire. Its place stays in the queue, as a
///   placeholder without a waiter, so that its answer, when it comes, is dropped instead of
///   completing the next caller's renewal: that caller sent later, and the `Election` anchors the
///   lease's deadline on the send time of the request whose answer it got.
/// - A stream replaced by another one (broken, or restarted because it was stuck) takes its
///   requests with it: their callers fail as transient, and an answer that still arrives from the
///   old stream is never matched to a request of the new one. Each stream has a generation number.
///
/// A request is "sent" when it is handed to the open stream; requests made while none is open
/// wait (unsent) and go out, in order, on the next one. A caller that gives up before its request
/// went out simply withdraws it: nothing will answer it.
struct KeepAliveRequests<Waiter> {
    /// One caller's keep-alive.
    struct Request {
        let id: UInt64
        let lease: Int64
        /// Nil once its caller gave up: a placeholder whose answer is dropped.
        var waiter: Waiter?
        /// When it was handed to the stream; nil while unsent.
        var sentAt: ContinuousClock.Instant?
    }

    /// What to do with an answer.
    enum Match {
        /// The answer of this waiter's request.
        case waiter(Waiter)
        /// The answer of a request whose caller gave up: drop it.
        case abandoned
        /// From a stream that is no longer the open one: drop it.
        case staleStream
        /// No request for this lease is outstanding on this stream (etcd never does this): drop it.
        case unexpected
    }

    /// The generation of the open stream, nil while none is open.
    private(set) var openStream: UInt64?
    private var lastGeneration: UInt64 = 0
    /// Requests waiting for a stream, in request order.
    private var unsent: [Request] = []
    /// Requests on the open stream that are not answered yet, per lease, in send order.
    private var outstanding: [Int64: [Request]] = [:]

    /// A caller asks for a keep-alive of `lease` at `now`. Returns the generation of the stream to
    /// write it on now, or nil when it waits for the next stream.
    mutating func add(id: UInt64, lease: Int64, waiter: Waiter, now: ContinuousClock.Instant) -> UInt64? {
        guard let openStream else {
            unsent.append(Request(id: id, lease: lease, waiter: waiter, sentAt: nil))
            return nil
        }
        outstanding[lease, default: []].append(Request(id: id, lease: lease, waiter: waiter, sentAt: now))
        return openStream
    }

    /// A new stream opened at `now` (any previous one must have been closed). Returns its
    /// generation and the leases to write on it, in order: the requests that waited for it.
    mutating func streamOpened(now: ContinuousClock.Instant) -> (generation: UInt64, leases: [Int64]) {
        precondition(openStream == nil, "a keep-alive stream opened while another one is open")
        lastGeneration += 1
        openStream = lastGeneration
        let leases = unsent.map(\.lease)
        for var request in unsent {
            request.sentAt = now
            outstanding[request.lease, default: []].append(request)
        }
        unsent = []
        return (lastGeneration, leases)
    }

    /// An answer for `lease` arrived on the stream of `generation`.
    mutating func answer(lease: Int64, generation: UInt64) -> Match {
        guard generation == openStream else { return .staleStream }
        guard var queue = outstanding[lease], !queue.isEmpty else { return .unexpected }
        let request = queue.removeFirst()
        outstanding[lease] = queue.isEmpty ? nil : queue
        return request.waiter.map(Match.waiter) ?? .abandoned
    }

    /// The caller of request `id` (for `lease`) gave up. Returns its waiter, to be resumed with the
    /// caller's error, when it was still waiting (not yet answered nor failed).
    mutating func abandon(id: UInt64, lease: Int64) -> Waiter? {
        if let index = unsent.firstIndex(where: { $0.id == id }) {
            // Never written: no answer will come, so no placeholder is needed.
            return unsent.remove(at: index).waiter
        }
        guard let index = outstanding[lease]?.firstIndex(where: { $0.id == id }) else { return nil }
        let waiter = outstanding[lease]?[index].waiter
        outstanding[lease]?[index].waiter = nil
        return waiter
    }

    /// The stream of `generation` ended (it broke, or it is being restarted). Returns the waiters of
    /// its unanswered requests, which fail as transient. Nothing happens when that stream is no
    /// longer the open one.
    mutating func streamClosed(generation: UInt64) -> [Waiter] {
        guard generation == openStream else { return [] }
        openStream = nil
        let waiters = outstanding.values.joined().compactMap(\.waiter)
        outstanding = [:]
        return waiters
    }

    /// When the oldest unanswered request on the open stream (placeholders included) was sent:
    /// how long the stream has owed an answer.
    var oldestUnanswered: ContinuousClock.Instant? {
        outstanding.values.compactMap { $0.first?.sentAt }.min()
    }

    /// Closes everything (shutdown): returns every waiter, sent or not.
    mutating func removeAll() -> [Waiter] {
        let waiters = unsent.compactMap(\.waiter) + outstanding.values.joined().compactMap(\.waiter)
        unsent = []
        outstanding = [:]
        openStream = nil
        return waiters
    }

    /// Whether anything is outstanding or unsent (for tests and diagnostics).
    var isEmpty: Bool { unsent.isEmpty && outstanding.isEmpty }
}

// For comparing matches in tests.
extension KeepAliveRequests.Match: Equatable where Waiter: Equatable {}
