/// A `Clock<Duration>` with its instant type erased to the `Duration` since it was wrapped, so the
/// engine and its rate limiter take any injected clock (a manual one in tests) without generics.
struct SleepClock: Sendable {
    private let nowOffset: @Sendable () -> Duration
    private let sleepUntil: @Sendable (Duration) async throws -> Void

    /// Wraps `clock`; offsets are measured from the instant of this call.
    init<C: Clock<Duration>>(_ clock: C) {
        let origin = clock.now
        self.nowOffset = { origin.duration(to: clock.now) }
        self.sleepUntil = { offset in try await clock.sleep(until: origin.advanced(by: offset), tolerance: nil) }
    }

    /// The time elapsed since the clock was wrapped.
    func now() -> Duration { nowOffset() }

    /// Sleeps until `offset`; throws `CancellationError` when cancelled.
    func sleep(until offset: Duration) async throws { try await sleepUntil(offset) }

    /// Sleeps for `duration` (returns at once for zero or less, after checking cancellation).
    func sleep(for duration: Duration) async throws {
        guard duration > .zero else { return try Task.checkCancellation() }
        try await sleepUntil(now() + duration)
    }
}
