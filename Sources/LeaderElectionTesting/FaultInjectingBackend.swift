import LeaderElection
import Synchronization

/// Wraps an `ElectionBackend` and injects faults into its calls: delays, failures, responses
/// lost after the call took effect, and hangs. For tests of how elections ride out store trouble.
public final class FaultInjectingBackend: ElectionBackend {
    /// A backend call that can be faulted.
    public enum Operation: String, Sendable, CaseIterable, Hashable {
        case grantLease, renewLease, revokeLease, campaign, waitUntilLeader, resign, leader, candidates
    }

    /// What happens to a faulted call.
    public enum Fault: Sendable, Hashable {
        /// The call is delayed by the duration, then made.
        case delay(Duration)
        /// The call fails with `storeUnavailable` without reaching the store.
        case fail
        /// The call is made and takes effect, but its response is lost: `storeUnavailable` is thrown.
        case loseResponse
        /// The call never answers (until its task is cancelled).
        case hang
        /// The call never answers, and ignores cancellation, until ``FaultInjectingBackend/releaseStuckCalls()``:
        /// a query on a connection that a partition cut off, waiting for TCP to give up.
        case hangIgnoringCancellation
    }

    private struct Rule {
        var fault: Fault
        var operations: Set<Operation>
        var remaining: Int?
    }

    private let base: any ElectionBackend
    private let clock: any Clock<Duration>
    private let rules = Mutex<[Rule]>([])
    private let injected = Mutex<[Operation: Int]>([:])
    private let stuck = Mutex<(released: Bool, calls: [CheckedContinuation<Void, Never>])>((false, []))

    /// Wraps `base`; delays and hangs sleep on `clock`.
    public init(wrapping base: any ElectionBackend, clock: any Clock<Duration> = ContinuousClock()) {
        self.base = base
        self.clock = clock
    }

    /// Applies `fault` to the next `count` calls of `operations` (every call when `count` is nil).
    /// The most recently injected matching rule wins.
    public func inject(_ fault: Fault, into operations: Set<Operation> = Set(Operation.allCases), count: Int? = nil) {
        rules.withLock { $0.append(Rule(fault: fault, operations: operations, remaining: count)) }
    }

    /// Removes every fault.
    public func clearFaults() {
        rules.withLock { $0.removeAll() }
    }

    /// Lets every call stuck in ``Fault/hangIgnoringCancellation`` end (with `storeUnavailable`),
    /// now and from now on.
    public func releaseStuckCalls() {
        let calls = stuck.withLock { state in
            state.released = true
            defer { state.calls = [] }
            return state.calls
        }
        for call in calls { call.resume() }
    }

    /// How many calls of `operation` were faulted so far.
    public func injectedCount(_ operation: Operation) -> Int {
        injected.withLock { $0[operation, default: 0] }
    }

    private func takeFault(for operation: Operation) -> Fault? {
        let fault = rules.withLock { rules -> Fault? in
            guard let index = rules.lastIndex(where: { $0.operations.contains(operation) }) else { return nil }
            let fault = rules[index].fault
            if let remaining = rules[index].remaining {
                if remaining <= 1 { rules.remove(at: index) } else { rules[index].remaining = remaining - 1 }
            }
            return fault
        }
        if fault != nil { injected.withLock { $0[operation, default: 0] += 1 } }
        return fault
    }

    private func call<T: Sendable>(_ operation: Operation, _ body: () async throws -> T) async throws -> T {
        switch takeFault(for: operation) {
        case nil:
            return try await body()
        case .delay(let duration):
            try await clock.sleep(for: duration)
            return try await body()
        case .fail:
            throw ElectionError.storeUnavailable("injected failure of \(operation.rawValue)")
        case .loseResponse:
            _ = try await body()
            throw ElectionError.storeUnavailable("injected lost response of \(operation.rawValue)")
        case .hang:
            while true { try await clock.sleep(for: .seconds(3600)) }
        case .hangIgnoringCancellation:
            await withCheckedContinuation { continuation in
                let released = stuck.withLock { state in
                    if !state.released { state.calls.append(continuation) }
                    return state.released
                }
                if released { continuation.resume() }
            }
            throw ElectionError.storeUnavailable("injected stuck call of \(operation.rawValue), released")
        }
    }

    public func grantLease(ttl: Duration) async throws -> LeaseID {
        try await call(.grantLease) { try await base.grantLease(ttl: ttl) }
    }

    public func renewLease(_ lease: LeaseID) async throws {
        try await call(.renewLease) { try await base.renewLease(lease) }
    }

    public func revokeLease(_ lease: LeaseID) async throws {
        try await call(.revokeLease) { try await base.revokeLease(lease) }
    }

    public func campaign(election: String, lease: LeaseID, value: String) async throws -> Candidacy {
        try await call(.campaign) { try await base.campaign(election: election, lease: lease, value: value) }
    }

    public func waitUntilLeader(_ candidacy: Candidacy) async throws {
        try await call(.waitUntilLeader) { try await base.waitUntilLeader(candidacy) }
    }

    public func resign(_ candidacy: Candidacy) async throws {
        try await call(.resign) { try await base.resign(candidacy) }
    }

    public func leader(election: String) async throws -> Candidacy? {
        try await call(.leader) { try await base.leader(election: election) }
    }

    public func candidates(election: String) async throws -> [Candidacy] {
        try await call(.candidates) { try await base.candidates(election: election) }
    }

    public func watchLeader(election: String) -> AsyncThrowingStream<Candidacy?, any Error> {
        base.watchLeader(election: election)
    }
}
