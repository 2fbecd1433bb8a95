import Synchronization

/// A version counter that tasks can wait on: ``notify()`` bumps it and wakes every waiter.
package final class ChangeSignal: Sendable {
    private struct State {
        var version: UInt64 = 0
        var nextWaiterID: UInt64 = 0
        var waiters: [UInt64: CheckedContinuation<Void, Never>] = [:]
    }

    private let state = Mutex(State())

    package init() {}

    /// The current version.
    package var version: UInt64 { state.withLock { $0.version } }

    /// Bumps the version and wakes every waiter.
    package func notify() {
        let waiters = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.version &+= 1
            defer { state.waiters = [:] }
            return Array(state.waiters.values)
        }
        for waiter in waiters { waiter.resume() }
    }

    /// Returns once the version differs from `version`, or the task is cancelled.
    package func wait(after version: UInt64) async {
        let id = state.withLock { state -> UInt64 in
            state.nextWaiterID &+= 1
            return state.nextWaiterID
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let resumeNow = state.withLock { state -> Bool in
                    if state.version != version || Task.isCancelled { return true }
                    state.waiters[id] = continuation
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        } onCancel: {
            let waiter = state.withLock { $0.waiters.removeValue(forKey: id) }
            waiter?.resume()
        }
    }

    /// Returns once the version differs from `version`, `deadline` passes on `clock`, or the
    /// task is cancelled, whichever comes first.
    package func wait(after version: UInt64, orUntil deadline: Duration?, clock: ElectionClock) async {
        guard let deadline else { return await wait(after: version) }
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.wait(after: version) }
            group.addTask { try? await clock.sleep(until: deadline) }
            await group.next()
            group.cancelAll()
        }
    }
}
