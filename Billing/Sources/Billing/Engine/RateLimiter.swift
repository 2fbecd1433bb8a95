import Synchronization

/// A token bucket in front of the payment provider, shared by all concurrent renewals of an engine.
///
/// Implemented as a generic cell-rate algorithm (equivalent to a token bucket of `burst` tokens
/// refilled at `ratePerSecond`): each call reserves the next free slot and sleeps until it.
/// ``pause(for:)`` (after a 429) holds every caller back until the pause ends.
final class RateLimiter: Sendable {
    private struct State {
        /// The theoretical arrival time of the next request.
        var nextSlot: Duration = .zero
        /// No request starts before this.
        var pausedUntil: Duration = .zero
    }

    private let interval: Duration?
    private let tolerance: Duration
    private let clock: SleepClock
    private let state = Mutex(State())

    /// - Parameters:
    ///   - ratePerSecond: Requests per second; nil means unlimited (pauses still apply).
    ///   - burst: How many requests may start at once after an idle spell.
    init(ratePerSecond: Int?, burst: Int, clock: SleepClock) {
        self.interval = ratePerSecond.map { .seconds(1) / $0 }
        self.tolerance = (interval ?? .zero) * max(burst - 1, 0)
        self.clock = clock
    }

    /// Waits for a slot; throws `CancellationError` when cancelled while waiting.
    func acquire() async throws {
        let now = clock.now()
        let start = state.withLock { state -> Duration in
            var start = max(now, state.pausedUntil)
            if let interval {
                start = max(start, state.nextSlot - tolerance)
                state.nextSlot = max(state.nextSlot, start) + interval
            }
            return start
        }
        if start > now {
            try await clock.sleep(until: start)
        } else {
            try Task.checkCancellation()
        }
    }

    /// Holds every caller back for `duration` from now (the provider said "too many requests").
    func pause(for duration: Duration) {
        let until = clock.now() + duration
        state.withLock { state in
            state.pausedUntil = max(state.pausedUntil, until)
            state.nextSlot = max(state.nextSlot, until)
        }
    }
}
