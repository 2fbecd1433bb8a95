/// A clock with its instant type erased to a `Duration` since the clock was wrapped.
///
/// Lets ``Election`` and the state machine use any injected `Clock<Duration>` (the real
/// monotonic one, or a manual one in tests) without making every type generic over it.
package struct ElectionClock: Sendable {
    private let nowOffset: @Sendable () -> Duration
    private let sleepUntil: @Sendable (Duration) async throws -> Void

    /// Wraps `clock`; offsets are measured from the instant of this call.
    package init<C: Clock<Duration>>(_ clock: C) {
        let origin = clock.now
        self.nowOffset = { origin.duration(to: clock.now) }
        self.sleepUntil = { offset in try await clock.sleep(until: origin.advanced(by: offset), tolerance: nil) }
    }

    /// The time elapsed since the clock was wrapped.
    package func now() -> Duration { nowOffset() }

    /// Sleeps until `offset`; throws `CancellationError` when cancelled.
    package func sleep(until offset: Duration) async throws { try await sleepUntil(offset) }

    /// Sleeps for `duration`.
    package func sleep(for duration: Duration) async throws { try await sleepUntil(now() + duration) }

    /// Runs `operation`, abandoning it (cancelled, no longer awaited) and throwing
    /// `storeUnavailable` if it has not finished by `deadline`, or throwing `CancellationError`
    /// at once when the caller is cancelled. A store call that ignores cancellation therefore
    /// never holds its caller past the deadline (see ``AbandonableCall``).
    package func withTimeout<T: Sendable>(
        until deadline: Duration,
        _ what: @autoclosure () -> String,
        _ operation: @escaping @Sendable () async throws -> T
    ) async throws -> T {
        let description = what()
        return try await AbandonableCall.run(
            timer: {
                try await self.sleep(until: deadline)
                return ElectionError.storeUnavailable("\(description) did not answer in time")
            },
            operation
        )
    }
}
