import Synchronization

/// A clock whose sleeps return at once, moving its time forward to the sleep's deadline: waits
/// (rate limits, back-off) happen in virtual time, so tests never sleep, yet can check how long
/// the engine would have waited.
final class VirtualClock: Clock, Sendable {
    struct Instant: InstantProtocol {
        var offset: Duration
        func advanced(by duration: Duration) -> Instant { Instant(offset: offset + duration) }
        func duration(to other: Instant) -> Duration { other.offset - offset }
        static func < (lhs: Instant, rhs: Instant) -> Bool { lhs.offset < rhs.offset }
    }

    private let current = Mutex(Instant(offset: .zero))
    private let sleeps = Mutex<[Duration]>([])

    var now: Instant { current.withLock { $0 } }
    var minimumResolution: Duration { .zero }

    func sleep(until deadline: Instant, tolerance: Duration?) async throws {
        try Task.checkCancellation()
        current.withLock { now in
            sleeps.withLock { $0.append(deadline.offset - now.offset) }
            if deadline > now { now = deadline }
        }
        await Task.yield()
        try Task.checkCancellation()
    }

    /// The virtual time elapsed since the clock was created.
    var elapsed: Duration { now.offset }

    /// Every sleep requested, as a duration from the time of the request.
    var requestedSleeps: [Duration] { sleeps.withLock { $0 } }
}
