import Synchronization

/// One renewal pass's bookkeeping while it waits for its renewals: how many still run, what the
/// finished ones did, and the first store failure among them.
///
/// The pass *settles* (``settle(grace:clock:)``) when all have ended, when one failed because the
/// store is unreachable, or when the grace has passed; renewals that end after that are no longer
/// this pass's (``finished(_:)`` says so) and their session files them for a later pass.
final class PassLedger: Sendable {
    /// How a pass settled.
    enum Settlement {
        /// What the finished renewals did, and how many still run beside the next passes.
        case settled(RenewalReport, stragglers: Int)
        /// A renewal found the store unreachable; the pass fails with it.
        case failed(BillingError)
    }

    private struct State {
        var report: RenewalReport
        var running = 0
        var failure: BillingError?
        var graceElapsed = false
        var isSettled = false
    }

    private let state: Mutex<State>
    private let wakeups: AsyncStream<Void>
    private let wake: AsyncStream<Void>.Continuation

    /// A ledger for a pass at `now`.
    init(now: Timestamp) {
        state = Mutex(State(report: RenewalReport(now: now)))
        (wakeups, wake) = AsyncStream.makeStream(of: Void.self)
    }

    /// Counts a renewal the pass started.
    func started() {
        state.withLock { $0.running += 1 }
    }

    /// Counts a renewal that ended, with its report or its store failure. Returns false, keeping
    /// nothing, when the pass has settled already.
    func finished(_ result: Result<RenewalReport, BillingError>) -> Bool {
        let counted = state.withLock { state -> Bool in
            guard !state.isSettled else { return false }
            state.running -= 1
            switch result {
            case .success(let report): state.report.merge(report)
            case .failure(let error): state.failure = state.failure ?? error
            }
            return true
        }
        if counted { wake.yield() }
        return counted
    }

    /// Waits until the pass settles: every renewal it started has ended, one found the store
    /// unreachable, or `grace` (nil: no limit) has passed.
    /// - Throws: `CancellationError`.
    func settle(grace: Duration?, clock: SleepClock) async throws -> Settlement {
        defer { wake.finish() }
        return try await withThrowingTaskGroup(of: Void.self) { timer in
            if let grace {
                timer.addTask {
                    try await clock.sleep(for: grace)
                    self.state.withLock { $0.graceElapsed = true }
                    self.wake.yield()
                }
            }
            defer { timer.cancelAll() }
            if let settlement = settleIfDone() { return settlement }
            for await _ in wakeups {
                if let settlement = settleIfDone() { return settlement }
            }
            throw CancellationError()
        }
    }

    private func settleIfDone() -> Settlement? {
        state.withLock { state in
            if let failure = state.failure {
                state.isSettled = true
                return .failed(failure)
            }
            guard state.running == 0 || state.graceElapsed else { return nil }
            state.isSettled = true
            return .settled(state.report, stragglers: state.running)
        }
    }
}
