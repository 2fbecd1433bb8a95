import Synchronization

/// One term of an ``Election``: a lease, the state machine deciding about it, and the signals
/// that end it early. Shared by the tasks of the term and by the ``Leadership`` it hands out.
final class Term: Sendable {
    let lease: LeaseID
    let clock: ElectionClock
    private let machine: Mutex<TermStateMachine>
    private let released = Mutex<(done: Bool, waiters: [CheckedContinuation<Void, Never>])>((false, []))
    /// Yields once when someone asks this term to resign.
    let resignations: AsyncStream<Void>
    private let resignationContinuation: AsyncStream<Void>.Continuation

    init(lease: LeaseID, machine: TermStateMachine, clock: ElectionClock) {
        self.lease = lease
        self.clock = clock
        self.machine = Mutex(machine)
        (resignations, resignationContinuation) = AsyncStream.makeStream(bufferingPolicy: .bufferingNewest(1))
    }

    /// Runs `body` on the state machine under the lock.
    func withMachine<T>(_ body: (inout TermStateMachine) -> T) -> T {
        machine.withLock { body(&$0) }
    }

    /// Whether the holder may act as leader right now.
    var isLeading: Bool { withMachine { $0.isLeading(at: clock.now()) } }

    /// The local deadline (election clock offset).
    var deadline: Duration { withMachine { $0.deadline } }

    /// Asks the term to end with `.resigned`.
    func requestResignation() {
        resignationContinuation.yield()
    }

    /// Marks the term released (lease revoked or abandoned) and wakes ``waitUntilReleased()``.
    func markReleased() {
        resignationContinuation.finish()
        let waiters = released.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.done = true
            defer { state.waiters = [] }
            return state.waiters
        }
        for waiter in waiters { waiter.resume() }
    }

    /// Returns once the term has been released.
    func waitUntilReleased() async {
        await withCheckedContinuation { continuation in
            let alreadyDone = released.withLock { state -> Bool in
                if state.done { return true }
                state.waiters.append(continuation)
                return false
            }
            if alreadyDone { continuation.resume() }
        }
    }
}
