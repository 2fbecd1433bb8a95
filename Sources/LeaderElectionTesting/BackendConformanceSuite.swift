import LeaderElection
import Logging
import Synchronization

/// The checks every `ElectionBackend` must pass, run against a real store with real time.
///
/// Give it a factory that returns a connection to one shared store (each call stands for another
/// process; an in-memory backend returns the same instance every time). Each check uses an
/// election name of its own, so checks may share a store. From a Swift Testing target:
///
/// ```swift
/// @Test(arguments: BackendConformanceSuite.Check.allCases)
/// func conformance(_ check: BackendConformanceSuite.Check) async throws {
///     try await BackendConformanceSuite(makeBackend: { backend }).run(check)
/// }
/// ```
public struct BackendConformanceSuite: Sendable {
    /// One property of the contract.
    public enum Check: String, Sendable, CaseIterable, CustomStringConvertible {
        /// Candidates looping on leadership never lead at the same time.
        case mutualExclusion
        /// Each leadership's token is strictly greater than the previous one's.
        case tokensStrictlyIncrease
        /// A resigning leader hands over at once, without waiting for its lease to expire.
        case handoverOnResign
        /// A crashed leader (lease no longer renewed) is replaced once, and only once, its lease expired.
        case takeoverAfterExpiry
        /// Observation reports every leader and every period without one.
        case observeSeesEveryChange
        /// A waiting candidate whose lease dies stops campaigning and never leads on it.
        case campaignAbortsWhenLeaseLost
        /// A leader whose renewal is in flight, unanswered, when the store expires its lease is
        /// cancelled before its successor leads.
        case expiryDuringRenewal
        /// A campaign that fails part-way (the candidacy created, the answer lost) leaves one
        /// candidacy while it goes on, and none once it has ended.
        case failedCampaignLeavesNothing
        /// A leader whose store server lost its quorum (and may still acknowledge renewals) is
        /// cancelled before the rest of the store elects another. Needs
        /// ``StoreFaults/quorumIsolation``.
        case renewalWithoutQuorum
        /// Observation reports every leader and every period without one across a reconnect to
        /// the store. Needs ``StoreFaults/dropConnections``.
        case observeAcrossReconnect

        public var description: String { rawValue }

        /// Whether the check can run with `faults` (some need a fault only some stores have).
        public func applies(to faults: StoreFaults) -> Bool {
            switch self {
            case .renewalWithoutQuorum: faults.quorumIsolation != nil
            case .observeAcrossReconnect: faults.dropConnections != nil
            default: true
            }
        }
    }

    /// Faults that only the test support of a particular store can cause; the checks that need
    /// one the store does not have are left out (see ``Check/applies(to:)``).
    public struct StoreFaults: Sendable {
        /// Two connections to the store, and a way to cut the server the first talks to off from
        /// the rest of the store while the first still reaches that server.
        public struct QuorumIsolation: Sendable {
            /// Talks only to the server that will be cut off.
            public var minority: any ElectionBackend
            /// Talks only to servers that keep their quorum.
            public var majority: any ElectionBackend
            /// Cuts the minority's server off from the others; returns what heals the cut.
            public var isolate: @Sendable () async throws -> @Sendable () async throws -> Void

            /// Describes an isolation.
            public init(
                minority: any ElectionBackend,
                majority: any ElectionBackend,
                isolate: @escaping @Sendable () async throws -> @Sendable () async throws -> Void
            ) {
                self.minority = minority
                self.majority = majority
                self.isolate = isolate
            }
        }

        /// Sets up a quorum isolation (fresh servers or connections for each use); nil when the
        /// store has no quorum of its own (SQLite, one PostgreSQL server, memory).
        public var quorumIsolation: (@Sendable () async throws -> QuorumIsolation)?
        /// Drops every connection `backend` has to the store (the backend must reconnect by itself,
        /// and notifications sent meanwhile are lost).
        public var dropConnections: (@Sendable (any ElectionBackend) async throws -> Void)?

        /// Describes the faults a store's test support can cause; none by default.
        public init(
            quorumIsolation: (@Sendable () async throws -> QuorumIsolation)? = nil,
            dropConnections: (@Sendable (any ElectionBackend) async throws -> Void)? = nil
        ) {
            self.quorumIsolation = quorumIsolation
            self.dropConnections = dropConnections
        }
    }

    private let makeBackend: @Sendable () async throws -> any ElectionBackend
    private let faults: StoreFaults
    private let leaseTTL: Duration
    private let timeout: Duration
    private let logger: Logger

    /// Creates the suite.
    /// - Parameters:
    ///   - leaseTTL: The TTL the checks use; short keeps them fast, but it must be one the store
    ///     honours (etcd raises TTLs below its minimum).
    ///   - timeout: How long a check waits for an expected event before failing.
    ///   - faults: The store-specific faults its test support can cause.
    ///   - logger: Receives the checks' diagnostics; discarded by default.
    ///   - makeBackend: Returns a connection to the shared store.
    public init(
        leaseTTL: Duration = .seconds(2),
        timeout: Duration = .seconds(30),
        faults: StoreFaults = StoreFaults(),
        logger: Logger = Logger(label: "conformance", factory: { _ in SwiftLogNoOpLogHandler() }),
        makeBackend: @escaping @Sendable () async throws -> any ElectionBackend
    ) {
        self.faults = faults
        self.leaseTTL = leaseTTL
        self.timeout = timeout
        self.logger = logger
        self.makeBackend = makeBackend
    }

    /// The checks that can run with this suite's ``StoreFaults``.
    public var applicableChecks: [Check] { Check.allCases.filter { $0.applies(to: faults) } }

    /// Runs one check; throws ``ConformanceFailure`` when the backend breaks the contract, or
    /// when the check needs a fault this suite was not given.
    public func run(_ check: Check) async throws {
        let name = "conformance-\(check.rawValue)-\(UInt32.random(in: 0...UInt32.max))"
        guard check.applies(to: faults) else {
            throw ConformanceFailure(
                check: check.rawValue,
                message: "needs a store fault this suite was not given (see StoreFaults); leave it out with applicableChecks")
        }
        switch check {
        case .mutualExclusion: try await mutualExclusion(name)
        case .tokensStrictlyIncrease: try await tokensStrictlyIncrease(name)
        case .handoverOnResign: try await handoverOnResign(name)
        case .takeoverAfterExpiry: try await takeoverAfterExpiry(name)
        case .observeSeesEveryChange: try await observeSeesEveryChange(name)
        case .campaignAbortsWhenLeaseLost: try await campaignAbortsWhenLeaseLost(name)
        case .expiryDuringRenewal: try await expiryDuringRenewal(name)
        case .failedCampaignLeavesNothing: try await failedCampaignLeavesNothing(name)
        case .renewalWithoutQuorum: try await renewalWithoutQuorum(name)
        case .observeAcrossReconnect: try await observeAcrossReconnect(name)
        }
    }

    /// Runs every applicable check in turn.
    public func runAll() async throws {
        for check in applicableChecks { try await run(check) }
    }

    // MARK: - Checks

    private func mutualExclusion(_ name: String) async throws {
        let record = Locked<(inside: Int, maxInside: Int, tokens: [FencingToken])>((0, 0, []))
        let wanted = 9
        let elections = try await (0..<3).asyncMap { try await election(name, "candidate-\($0)") }
        try await within(.mutualExclusion, "\(wanted) leaderships among 3 candidates") {
            await withTaskGroup(of: Void.self) { group in
                for election in elections {
                    group.addTask {
                        try? await election.whileLeader { leadership in
                            let enough = record.withLock { state -> Bool in
                                state.inside += 1
                                state.maxInside = max(state.maxInside, state.inside)
                                state.tokens.append(leadership.token)
                                return state.tokens.count >= wanted
                            }
                            // Hold leadership a little so that overlaps would show.
                            try? await Task.sleep(for: .milliseconds(enough ? 0 : 30))
                            record.withLock { $0.inside -= 1 }
                            if enough { throw CancellationError() }
                        }
                    }
                }
                // Ends early when `within` gives up and cancels this task.
                while record.withLock({ $0.tokens.count }) < wanted, !Task.isCancelled {
                    try? await Task.sleep(for: .milliseconds(10))
                }
                group.cancelAll()
            }
        }
        let (maxInside, tokens) = record.withLock { ($0.maxInside, $0.tokens) }
        try expect(.mutualExclusion, maxInside == 1, "\(maxInside) candidates led at the same time")
        try expect(.mutualExclusion, zip(tokens, tokens.dropFirst()).allSatisfy { $0 < $1 }, "tokens in order of election: \(tokens)")
    }

    private func tokensStrictlyIncrease(_ name: String) async throws {
        let first = try await election(name, "first")
        let second = try await election(name, "second")
        var tokens: [FencingToken] = []
        for round in 0..<6 {
            let candidate = round.isMultiple(of: 2) ? first : second
            let token = try await within(.tokensStrictlyIncrease, "leadership \(round)") {
                try await candidate.withLeadership { $0.token }
            }
            tokens.append(token)
        }
        try expect(.tokensStrictlyIncrease, zip(tokens, tokens.dropFirst()).allSatisfy { $0 < $1 }, "tokens \(tokens)")
    }

    private func handoverOnResign(_ name: String) async throws {
        // A long TTL: a handover that waited for expiry would blow the check's timeout.
        let longTTL = max(leaseTTL * 10, .seconds(20))
        let first = try await election(name, "first", ttl: longTTL)
        let second = try await election(name, "second", ttl: longTTL)
        let firstLeads = Gate()
        let secondLeads = Gate()
        try await within(.handoverOnResign, "handover from first to second", limit: longTTL / 2) {
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    try? await first.withLeadership { _ in
                        firstLeads.open()
                        try await Task.sleep(for: .seconds(3600))
                    }
                }
                try await firstLeads.wait()
                group.addTask {
                    try await second.withLeadership { _ in secondLeads.open() }
                }
                try await self.waitForCandidates(name, count: 2)
                await first.resign()
                try await secondLeads.wait()
                try await group.waitForAll()
            }
        }
    }

    private func takeoverAfterExpiry(_ name: String) async throws {
        let clock = ContinuousClock()
        let crashed = try await makeBackend()
        let crashedAt = try await within(.takeoverAfterExpiry, "the first candidate to lead") {
            try await self.leadThenCrash(name, backend: crashed, clock: clock)
        }
        // The crashed candidate never renews again. The next one must take over, but not before expiry.
        let successor = try await election(name, "successor")
        let electedAt = try await within(.takeoverAfterExpiry, "takeover after expiry", limit: leaseTTL * 3 + timeout) {
            try await successor.withLeadership { _ in clock.now }
        }
        let waited = crashedAt.duration(to: electedAt)
        try expect(
            .takeoverAfterExpiry, waited >= leaseTTL - .milliseconds(5),
            "successor led \(waited) after the crashed leader's last renewal was sent, before its TTL \(leaseTTL)")
    }

    /// Makes a raw candidate lead, renews its lease once more, and returns when that last
    /// renewal was sent: from then on it behaves as crashed. Starts over if a slow machine let
    /// the lease expire before that.
    private func leadThenCrash(_ name: String, backend: any ElectionBackend, clock: ContinuousClock) async throws -> ContinuousClock.Instant
    {
        while true {
            let lease = try await backend.grantLease(ttl: leaseTTL)
            do {
                let candidacy = try await backend.campaign(election: name, lease: lease, value: "crashed")
                try await backend.waitUntilLeader(candidacy)
                let lastRenewal = clock.now
                try await backend.renewLease(lease)
                return lastRenewal
            } catch let error as ElectionError where error.code == .leaseExpired {
                continue
            }
        }
    }

    private func observeSeesEveryChange(_ name: String) async throws {
        let observer = try await election(name, "observer")
        let seen = Locked<[String?]>([])
        let first = try await election(name, "first")
        let second = try await election(name, "second")
        try await within(.observeSeesEveryChange, "observation of two terms") {
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    for try await leader in observer.observe() {
                        seen.withLock { $0.append(leader?.value) }
                    }
                }
                try await self.waitUntil { seen.withLock { $0 } == [nil] }
                for candidate in [first, second] {
                    let count = seen.withLock { $0.count }
                    try await candidate.withLeadership { leadership in
                        try await self.waitUntil { seen.withLock { $0.count } > count }
                    }
                    try await self.waitUntil { seen.withLock { $0.last } == .some(nil) && seen.withLock { $0.count } >= count + 2 }
                }
                group.cancelAll()
            }
        }
        let values = seen.withLock { $0 }
        try expect(.observeSeesEveryChange, values == [nil, "first", nil, "second", nil], "observed \(values.map { $0 ?? "none" })")
    }

    private func campaignAbortsWhenLeaseLost(_ name: String) async throws {
        let holder = try await election(name, "holder")
        let waiter = try await election(name, "waiter")
        let admin = try await makeBackend()
        let holderLeads = Gate()
        let waiterLed = Locked(false)
        let outcome = try await within(.campaignAbortsWhenLeaseLost, "the waiter's campaign to end") {
            try await withThrowingTaskGroup(of: (any Error)?.self) { group in
                group.addTask {
                    // The loop form: a holder that a slow machine made lose its lease campaigns again.
                    try? await holder.whileLeader { _ in
                        holderLeads.open()
                        try await Task.sleep(for: .seconds(3600))
                    }
                    return nil
                }
                try await holderLeads.wait()
                group.addTask {
                    do {
                        try await waiter.withLeadership { _ in waiterLed.withLock { $0 = true } }
                        return nil
                    } catch {
                        return error
                    }
                }
                let waiting = try await self.waitForCandidates(name, count: 2)
                try await admin.revokeLease(waiting[1].lease)
                // The waiter's withLeadership must end by itself, with the lease loss.
                var result: (any Error)?
                while let next = try await group.next() {
                    if let next { result = next; break }
                }
                await holder.resign()
                group.cancelAll()
                return result
            }
        }
        let led = waiterLed.withLock { $0 }
        try expect(.campaignAbortsWhenLeaseLost, !led, "the waiter led although its lease was revoked")
        let cause = (outcome as? ElectionError)?.lossCause
        try expect(
            .campaignAbortsWhenLeaseLost, cause == .leaseExpired,
            "the waiter's campaign ended with \(String(describing: outcome)), expected a lease loss")
    }

    private func expiryDuringRenewal(_ name: String) async throws {
        let faulty = FaultInjectingBackend(wrapping: try await makeBackend())
        let first = try election(name, "first", backend: faulty)
        let second = try await election(name, "second")
        let intervals = LeadershipIntervals()
        defer { faulty.releaseStuckCalls() }
        try await within(.expiryDuringRenewal, "takeover after the store expired the first leader's lease", limit: leaseTTL * 3 + timeout) {
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try? await first.withLeadership { _ in await intervals.lead("first") } }
                try await intervals.waitUntilLeading("first")
                group.addTask { try await second.withLeadership { _ in await intervals.lead("second", hold: false) } }
                try await self.waitForCandidates(name, count: 2)
                // From now on the first leader's renewals (and its revocation) are sent and never
                // answered: one is in flight when the store expires the lease.
                faulty.inject(.hangIgnoringCancellation, into: [.renewLease, .revokeLease])
                try await intervals.waitUntilLeading("second")
                group.cancelAll()
            }
        }
        try expect(.expiryDuringRenewal, intervals.overlaps.isEmpty, "two candidates led at once: \(intervals.overlaps)")
    }

    private func failedCampaignLeavesNothing(_ name: String) async throws {
        let store = try await makeBackend()
        let holder = try await election(name, "holder")
        let faulty = FaultInjectingBackend(wrapping: try await makeBackend())
        let waiter = try election(name, "waiter", backend: faulty)
        let intervals = LeadershipIntervals()
        try await within(.failedCampaignLeavesNothing, "a campaign whose first answer was lost") {
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try? await holder.withLeadership { _ in await intervals.lead("holder") } }
                try await intervals.waitUntilLeading("holder")
                // The waiter's candidacy is created, but the answer is lost: the campaign retries.
                faulty.inject(.loseResponse, into: [.campaign], count: 1)
                group.addTask { try? await waiter.withLeadership { _ in await intervals.lead("waiter", hold: false) } }
                while faulty.injectedCount(.campaign) == 0 {
                    try await Task.sleep(for: .milliseconds(5))
                }
                try await self.waitForCandidates(name, count: 2, backend: store)
                // Give the retry time to (wrongly) add a second candidacy for the same lease.
                try await Task.sleep(for: self.leaseTTL / 2)
                let waiting = try await store.candidates(election: name).filter { $0.value == "waiter" }
                try self.expect(
                    .failedCampaignLeavesNothing, waiting.count == 1, "the waiter has \(waiting.count) candidacies after a retried campaign"
                )
                // The campaign ends (its task cancelled) before it leads: nothing of it may stay.
                group.cancelAll()
                try await group.waitForAll()
            }
        }
        let left = try await store.candidates(election: name).filter { $0.value == "waiter" }
        try expect(.failedCampaignLeavesNothing, left.isEmpty, "an ended campaign left \(left.count) candidacies behind")
        try expect(.failedCampaignLeavesNothing, intervals.names == ["holder"], "led: \(intervals.names)")
    }

    private func renewalWithoutQuorum(_ name: String) async throws {
        guard let setUp = faults.quorumIsolation else { return }
        let isolation = try await setUp()
        let cutOff = try election(name, "cut-off", backend: isolation.minority)
        let majority = try election(name, "majority", backend: isolation.majority)
        let intervals = LeadershipIntervals()
        let heal = Locked<(@Sendable () async throws -> Void)?>(nil)
        do {
            try await within(.renewalWithoutQuorum, "takeover on the majority side", limit: leaseTTL * 5 + timeout) {
                try await withThrowingTaskGroup(of: Void.self) { group in
                    group.addTask { try? await cutOff.whileLeader { _ in await intervals.lead("cut-off") } }
                    try await intervals.waitUntilLeading("cut-off")
                    // In a loop: while the store re-elects its own leader no renewal is acknowledged,
                    // so the majority side's first term may end before it ever leads.
                    group.addTask { try await majority.whileLeader { _ in await intervals.lead("majority") } }
                    try await self.waitForCandidates(name, count: 2, backend: isolation.majority)
                    let healing = try await isolation.isolate()
                    heal.withLock { $0 = healing }
                    try await intervals.waitUntilLeading("majority")
                    group.cancelAll()
                }
            }
        } catch {
            try? await heal.withLock { $0 }?()
            throw error
        }
        try await heal.withLock { $0 }?()
        try expect(.renewalWithoutQuorum, intervals.overlaps.isEmpty, "two candidates led at once: \(intervals.overlaps)")
    }

    private func observeAcrossReconnect(_ name: String) async throws {
        guard let dropConnections = faults.dropConnections else { return }
        let observerBackend = try await makeBackend()
        let observer = try election(name, "observer", backend: observerBackend)
        let seen = Locked<[String?]>([])
        let first = try await election(name, "first")
        try await within(.observeAcrossReconnect, "observation across a reconnect", limit: timeout * 2) {
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    for try await leader in observer.observe() { seen.withLock { $0.append(leader?.value) } }
                }
                try await self.waitUntil { seen.withLock { $0 } == [nil] }
                // The leader appears while the observer's connections are being dropped.
                try await dropConnections(observerBackend)
                try await first.withLeadership { _ in
                    try await self.waitUntil { seen.withLock { $0.last } == .some("first") }
                    try await dropConnections(observerBackend)
                }
                try await self.waitUntil { seen.withLock { $0.last } == .some(nil) && seen.withLock { $0.count } >= 3 }
                group.cancelAll()
            }
        }
        let values = seen.withLock { $0 }
        try expect(.observeAcrossReconnect, values == [nil, "first", nil], "observed \(values.map { $0 ?? "none" })")
    }

    // MARK: - Helpers

    private func election(_ name: String, _ id: String, ttl: Duration? = nil) async throws -> Election {
        try election(name, id, backend: try await makeBackend(), ttl: ttl)
    }

    private func election(_ name: String, _ id: String, backend: any ElectionBackend, ttl: Duration? = nil) throws -> Election {
        Election(
            name: name,
            candidateID: id,
            backend: backend,
            configuration: try Election.Configuration(leaseTTL: ttl ?? leaseTTL),
            logger: logger
        )
    }

    @discardableResult
    private func waitForCandidates(_ name: String, count: Int, backend: (any ElectionBackend)? = nil) async throws -> [Candidacy] {
        let backend = if let backend { backend } else { try await makeBackend() }
        while true {
            let candidates = try await backend.candidates(election: name)
            if candidates.count >= count { return candidates }
            try await Task.sleep(for: .milliseconds(5))
        }
    }

    private func waitUntil(_ condition: @Sendable () -> Bool) async throws {
        while !condition() { try await Task.sleep(for: .milliseconds(2)) }
    }

    /// Runs `body`, failing the check when it has not finished within `limit`. The body is
    /// abandoned then, not awaited: a backend call that ignores cancellation (a contract breach
    /// the check may be there to find) fails the check instead of hanging the test run.
    private func within<T: Sendable>(
        _ check: Check,
        _ what: String,
        limit: Duration? = nil,
        _ body: @escaping @Sendable () async throws -> T
    ) async throws -> T {
        let limit = limit ?? timeout
        return try await AbandonableCall.run(
            timer: { @Sendable () async throws -> any Error in
                try await Task.sleep(for: limit)
                return ConformanceFailure(check: check.rawValue, message: "\(what) did not happen within \(limit)")
            },
            body
        )
    }

    private func expect(_ check: Check, _ condition: Bool, _ message: @autoclosure () -> String) throws {
        if !condition { throw ConformanceFailure(check: check.rawValue, message: message()) }
    }
}

/// A one-shot event that tasks can wait for.
///
/// Waiting is cancellable: a check that gives up (its `within` limit passed) cancels its tasks,
/// and a wait that could never end would otherwise keep the whole test run from finishing.
final class Gate: Sendable {
    private struct State {
        var open = false
        var waiters: [UInt64: CheckedContinuation<Void, any Error>] = [:]
        var nextID: UInt64 = 0
    }

    private let state = Mutex(State())

    func open() {
        let waiters = state.withLock { state -> [CheckedContinuation<Void, any Error>] in
            state.open = true
            defer { state.waiters = [:] }
            return Array(state.waiters.values)
        }
        for waiter in waiters { waiter.resume() }
    }

    /// Returns once the gate is open; throws `CancellationError` if the task is cancelled first.
    func wait() async throws {
        let id = state.withLock { state -> UInt64 in
            state.nextID += 1
            return state.nextID
        }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                let resume = state.withLock { state -> Result<Void, any Error>? in
                    if state.open { return .success(()) }
                    if Task.isCancelled { return .failure(CancellationError()) }
                    state.waiters[id] = continuation
                    return nil
                }
                if let resume { continuation.resume(with: resume) }
            }
        } onCancel: {
            let waiter = state.withLock { $0.waiters.removeValue(forKey: id) }
            waiter?.resume(throwing: CancellationError())
        }
    }
}

extension Sequence where Element: Sendable {
    func asyncMap<T>(_ transform: (Element) async throws -> T) async rethrows -> [T] {
        var result: [T] = []
        for element in self { result.append(try await transform(element)) }
        return result
    }
}
