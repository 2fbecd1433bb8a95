import Synchronization

/// The renewal engine's concurrency limit, shared by the passes of one session: at most
/// `capacity` subscriptions in flight, each held by one renewal at a time.
///
/// A pass asks ``contains(_:)`` to leave alone a subscription that a straggler of an earlier pass
/// is still renewing, and waits in ``acquire(_:)`` while every slot is taken, stragglers included,
/// so that slow renewals cannot pile up beyond the limit.
final class RenewalSlots: Sendable {
    private struct Waiter {
        let id: UInt64
        let subscriptionID: String
        let continuation: CheckedContinuation<Void, any Error>
    }

    private struct State {
        var held: Set<String> = []
        var waiters: [Waiter] = []
        var nextID: UInt64 = 0
    }

    private let capacity: Int
    private let state = Mutex(State())

    /// Creates a limit of `capacity` subscriptions in flight (at least 1).
    init(capacity: Int) {
        self.capacity = max(1, capacity)
    }

    /// Whether a renewal of `subscriptionID` holds a slot.
    func contains(_ subscriptionID: String) -> Bool {
        state.withLock { $0.held.contains(subscriptionID) }
    }

    /// How many slots are held.
    var count: Int { state.withLock { $0.held.count } }

    /// Takes a slot for `subscriptionID`, waiting for one to be released while all are held.
    /// The caller makes sure the subscription holds no slot yet (``contains(_:)``).
    /// - Throws: `CancellationError` when cancelled while waiting; no slot is then held.
    func acquire(_ subscriptionID: String) async throws {
        let id = state.withLock { state in
            state.nextID += 1
            return state.nextID
        }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                let granted = state.withLock { state -> Bool? in
                    // Checked under the lock: a cancellation handler that already ran found no
                    // waiter to remove, so this one must not start waiting.
                    if Task.isCancelled { return nil }
                    if state.held.count < capacity {
                        state.held.insert(subscriptionID)
                        return true
                    }
                    state.waiters.append(Waiter(id: id, subscriptionID: subscriptionID, continuation: continuation))
                    return false
                }
                switch granted {
                case nil: continuation.resume(throwing: CancellationError())
                case true?: continuation.resume()
                case false?: break
                }
            }
        } onCancel: {
            let removed = state.withLock { state -> Waiter? in
                guard let index = state.waiters.firstIndex(where: { $0.id == id }) else { return nil }
                return state.waiters.remove(at: index)
            }
            removed?.continuation.resume(throwing: CancellationError())
        }
    }

    /// Releases the slot of `subscriptionID` and hands it to the longest waiter, if any.
    func release(_ subscriptionID: String) {
        let next = state.withLock { state -> Waiter? in
            state.held.remove(subscriptionID)
            guard state.held.count < capacity, !state.waiters.isEmpty else { return nil }
            let waiter = state.waiters.removeFirst()
            state.held.insert(waiter.subscriptionID)
            return waiter
        }
        next?.continuation.resume()
    }
}
