import LeaderElection
import Logging
import Synchronization

/// The checks every ``ElectionBackend`` must pass, run against a real store with real time.
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

        public var description: String { rawValue }
    }

    private let makeBackend: @Sendable () async throws -> any ElectionBackend
    private let leaseTTL: Duration
    private let timeout: Duration
    private let logger: Logger

    /// Creates the suite.
    /// - Parameters:
    ///   - leaseTTL: The TTL the checks use; short keeps them fast, but it must be one the store
    ///     honours (etcd raises TTLs below its minimum).
    ///   - timeout: How long a check waits for an expected event before failing.
    ///   - makeBackend: Returns a connection to the shared store.
    public init(
        leaseTTL: Duration = .seconds(2),
        timeout: Duration = .seconds(30),
        logger: Logger = Logger(label: "conformance", factory: { _ in SwiftLogNoOpLogHandler() }),
        makeBackend: @escaping @Sendable () async throws -> any ElectionBackend
    ) {
        self.leaseTTL = leaseTTL
        self.timeout = timeout
        self.logger = logger
        self.makeBackend = makeBackend
    }

    /// Runs one check; throws ``ConformanceFailure`` when the backend breaks the contract.
    public func run(_ check: Check) async throws {
        let name = "conformance-\(check.rawValue)-\(UInt32.random(in: 0...UInt32.max))"
        switch check {
        case .mutualExclusion: try await mutualExclusion(name)
        case .tokensStrictlyIncrease: try await tokensStrictlyIncrease(name)
        case .handoverOnResign: try await handoverOnResign(name)
        case .takeoverAfterExpiry: try await takeoverAfterExpiry(name)
        case .observeSeesEveryChange: try await observeSeesEveryChange(name)
        case .campaignAbortsWhenLeaseLost: try await campaignAbortsWhenLeaseLost(name)
        }
    }

    /// Runs every check in turn.
    public func runAll() async throws {
        for check in Check.allCases { try await run(check) }
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
        try expect(.takeoverAfterExpiry, waited >= leaseTTL - .milliseconds(5), "successor led \(waited) after the crashed leader's last renewal was sent, before its TTL \(leaseTTL)")
    }

    /// Makes a raw candidate lead, renews its lease once more, and returns when that last
    /// renewal was sent: from then on it behaves as crashed. Starts over if a slow machine let
    /// the lease expire before that.
    private func leadThenCrash(_ name: String, backend: any ElectionBackend, clock: ContinuousClock) async throws -> ContinuousClock.Instant {
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
        try expect(.campaignAbortsWhenLeaseLost, cause == .leaseExpired, "the waiter's campaign ended with \(String(describing: outcome)), expected a lease loss")
    }

    // MARK: - Helpers

    private func election(_ name: String, _ id: String, ttl: Duration? = nil) async throws -> Election {
        let ttl = ttl ?? leaseTTL
        return Election(
            name: name,
            candidateID: id,
            backend: try await makeBackend(),
            configuration: try Election.Configuration(leaseTTL: ttl),
            logger: logger
        )
    }

    @discardableResult
    private func waitForCandidates(_ name: String, count: Int) async throws -> [Candidate] {
        let backend = try await makeBackend()
        while true {
            let candidates = try await backend.candidates(election: name)
            if candidates.count >= count { return candidates }
            try await Task.sleep(for: .milliseconds(5))
        }
    }

    private func waitUntil(_ condition: @Sendable () -> Bool) async throws {
        while !condition() { try await Task.sleep(for: .milliseconds(2)) }
    }

    private func within<T: Sendable>(
        _ check: Check,
        _ what: String,
        limit: Duration? = nil,
        _ body: @escaping @Sendable () async throws -> T
    ) async throws -> T {
        let limit = limit ?? timeout
        return try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask { try await body() }
            group.addTask {
                try await Task.sleep(for: limit)
                return nil
            }
            defer { group.cancelAll() }
            guard let first = try await group.next(), let value = first else {
                throw ConformanceFailure(check: check.rawValue, message: "\(what) did not happen within \(limit)")
            }
            return value
        }
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
