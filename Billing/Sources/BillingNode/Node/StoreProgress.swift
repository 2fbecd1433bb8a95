import Billing
import Synchronization

/// Whether the billing store is answering this replica: counts calls in flight and remembers
/// when the store last answered, so the leader can tell a slow database from one it cannot reach.
///
/// Only an answer counts as progress (a result, or a refusal such as a stale token). A call that
/// failed because the store was out of reach does not: behind a partition, connection attempts
/// can fail at once, and counting those as completions would let a leader that cannot bill keep
/// its leadership for as long as the partition lasts.
final class StoreProgress: Sendable {
    /// How a call ended, as far as reaching the store goes.
    enum Outcome {
        /// The store answered (with a result or an error of its own).
        case answered
        /// The store could not be reached or did not answer in time.
        case unreachable
        /// The caller left (cancelled); says nothing about the store.
        case abandoned

        init(_ error: any Error) {
            switch error {
            case is CancellationError: self = .abandoned
            case let error as BillingError where error.code == .storeUnavailable: self = .unreachable
            default: self = .answered
            }
        }
    }

    private struct State {
        var inFlight = 0
        var lastAnswer = ContinuousClock.now
        var failing = false
    }

    private let state = Mutex(State())

    /// Forgets earlier silence: called when this replica starts to lead, since while it did not
    /// lead it made no calls that could have shown the store answering again.
    func reset(now: ContinuousClock.Instant = .now) {
        state.withLock { state in
            state.lastAnswer = now
            state.failing = false
        }
    }

    func started(now: ContinuousClock.Instant = .now) {
        state.withLock { state in
            // A call that starts after a quiet spell must not inherit the old silence.
            if state.inFlight == 0 && !state.failing { state.lastAnswer = now }
            state.inFlight += 1
        }
    }

    func finished(_ outcome: Outcome, now: ContinuousClock.Instant = .now) {
        state.withLock { state in
            state.inFlight -= 1
            switch outcome {
            case .answered:
                state.lastAnswer = now
                state.failing = false
            case .unreachable:
                state.failing = true
            case .abandoned:
                break
            }
        }
    }

    /// How long the store has not answered while calls wait on it or keep failing to reach it;
    /// zero when nothing is waiting and the last call did not fail for want of the store.
    func stall(now: ContinuousClock.Instant = .now) -> Duration {
        state.withLock { state in state.inFlight > 0 || state.failing ? now - state.lastAnswer : .zero }
    }
}
