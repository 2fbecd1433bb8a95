import Synchronization

/// An ``ElectionBackend`` in this process's memory: for tests, examples and simulations.
///
/// Candidates must share one instance. Lease expiry follows the injected clock.
/// Not guaranteed: anything across processes, or surviving a restart.
public final class InMemoryBackend: ElectionBackend {
    private let state = Mutex(InMemoryElectionState())
    private let changes = ChangeSignal()
    private let clock: ElectionClock

    /// Creates an empty store whose leases expire on `clock`.
    public init(clock: some Clock<Duration> = ContinuousClock()) {
        self.clock = ElectionClock(clock)
    }

    /// Runs `body` on the state after expiring leases; notifies waiters when `mutates`.
    private func withState<T>(
        mutates: Bool = false, _ body: (inout InMemoryElectionState, Duration) throws(ElectionError) -> T
    ) throws(ElectionError) -> T {
        let now = clock.now()
        let result = try state.withLock { (state) throws(ElectionError) -> T in
            state.expireLeases(now: now)
            return try body(&state, now)
        }
        if mutates { changes.notify() }
        return result
    }

    public func grantLease(ttl: Duration) async throws -> LeaseID {
        try withState(mutates: true) { state, now in state.grantLease(ttl: ttl, now: now) }
    }

    public func renewLease(_ lease: LeaseID) async throws {
        try withState { state, now throws(ElectionError) in try state.renewLease(lease, now: now) }
    }

    public func revokeLease(_ lease: LeaseID) async throws {
        try withState(mutates: true) { state, now in state.revokeLease(lease, now: now) }
    }

    public func campaign(election: String, lease: LeaseID, value: String) async throws -> Candidacy {
        try withState(mutates: true) { state, now throws(ElectionError) in
            try state.campaign(election: election, lease: lease, value: value, now: now)
        }
    }

    public func waitUntilLeader(_ candidacy: Candidacy) async throws {
        while true {
            try Task.checkCancellation()
            let version = changes.version
            let standing = try withState { state, _ in state.standing(of: candidacy) }
            switch standing {
            case .leading:
                return
            case .gone:
                throw ElectionError.leaseExpired(candidacy.lease)
            case .waiting(_, let predecessorExpiry):
                await changes.wait(after: version, orUntil: predecessorExpiry, clock: clock)
            }
        }
    }

    public func resign(_ candidacy: Candidacy) async throws {
        try withState(mutates: true) { state, now in state.resign(candidacy, now: now) }
    }

    public func leader(election: String) async throws -> Candidacy? {
        try withState { state, _ in state.leader(election: election) }
    }

    public func candidates(election: String) async throws -> [Candidacy] {
        try withState { state, _ in state.candidates(election: election) }
    }

    public func watchLeader(election: String) -> AsyncThrowingStream<Candidacy?, any Error> {
        let lastYielded = Mutex<Candidacy??>(.none)
        return AsyncThrowingStream(unfolding: {
            while !Task.isCancelled {
                let version = self.changes.version
                let (leader, expiry) = try self.withState { state, _ -> (Candidacy?, Duration?) in
                    let leader = state.leader(election: election)
                    return (leader, leader.flatMap { state.expiry(of: $0) })
                }
                let changed = lastYielded.withLock { last -> Bool in
                    if case .some(let previous) = last, previous == leader { return false }
                    last = .some(leader)
                    return true
                }
                if changed { return .some(leader) }
                await self.changes.wait(after: version, orUntil: expiry, clock: self.clock)
            }
            return nil
        })
    }
}
