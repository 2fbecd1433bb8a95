import LeaderElection
import Synchronization

/// Hands ZooKeeper's watch notifications to the local waiters of the znode they name, so that a
/// deletion wakes only the candidate watching that znode.
final class WatchRouter: Sendable {
    /// A waiter's registration: a signal bumped for each of its paths and on every reconnection.
    struct Subscription: Sendable {
        let id: UInt64
        let signal: ChangeSignal
    }

    private struct State {
        var nextID: UInt64 = 0
        var paths: [String: [UInt64: ChangeSignal]] = [:]
        var all: [UInt64: ChangeSignal] = [:]
    }

    private let state = Mutex(State())

    /// Registers a signal with no paths yet.
    func subscribe() -> Subscription {
        let signal = ChangeSignal()
        let id = state.withLock { state -> UInt64 in
            state.nextID &+= 1
            state.all[state.nextID] = signal
            return state.nextID
        }
        return Subscription(id: id, signal: signal)
    }

    /// Makes `subscription` hear about exactly `paths` from now on.
    func watch(_ paths: Set<String>, _ subscription: Subscription) {
        state.withLock { state in
            for path in Array(state.paths.keys) where state.paths[path]?[subscription.id] != nil && !paths.contains(path) {
                state.paths[path]?.removeValue(forKey: subscription.id)
                if state.paths[path]?.isEmpty == true { state.paths.removeValue(forKey: path) }
            }
            for path in paths { state.paths[path, default: [:]][subscription.id] = subscription.signal }
        }
    }

    /// Removes `subscription` and its paths.
    func unsubscribe(_ subscription: Subscription) {
        watch([], subscription)
        state.withLock { _ = $0.all.removeValue(forKey: subscription.id) }
    }

    /// A watch on `path` fired.
    func deliver(path: String) {
        let signals = state.withLock { Array(($0.paths[path] ?? [:]).values) }
        for signal in signals { signal.notify() }
    }

    /// Wakes every waiter: a connection broke or a session ended, so watches may be lost.
    func wakeAll() {
        let signals = state.withLock { Array($0.all.values) }
        for signal in signals { signal.notify() }
    }
}
