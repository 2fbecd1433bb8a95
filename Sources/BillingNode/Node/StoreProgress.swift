import Synchronization

/// Whether the billing store is answering this replica: counts calls in flight and remembers
/// when one last completed, so the leader can tell a slow database from one it cannot reach.
final class StoreProgress: Sendable {
    private struct State {
        var inFlight = 0
        var lastCompletion = ContinuousClock.now
    }

    private let state = Mutex(State())

    func started() {
        state.withLock { state in
            // A call that starts after a quiet spell must not inherit the old silence.
            if state.inFlight == 0 { state.lastCompletion = .now }
            state.inFlight += 1
        }
    }

    func finished() {
        state.withLock { state in
            state.inFlight -= 1
            state.lastCompletion = .now
        }
    }

    /// How long calls have been waiting without any of them completing; zero when none waits.
    func stall(now: ContinuousClock.Instant = .now) -> Duration {
        state.withLock { state in state.inFlight > 0 ? now - state.lastCompletion : .zero }
    }
}
