import LeaderElection
import LeaderElectionTesting
import Logging
import MetricsTestKit
import Synchronization
import Testing

/// The ``Election`` shell on the in-memory backend, with faults injected and time driven by a
/// ``ManualClock``: every deadline below is exact in simulated time.
@Suite("Election")
struct ElectionTests {
    static let configuration = try! Election.Configuration(
        leaseTTL: .seconds(3),
        renewInterval: .seconds(1),
        safetyMargin: .milliseconds(300),
        retryBackoff: RetryBackoff(initial: .milliseconds(100), maximum: .milliseconds(400))
    )
    static let logger = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })

    let clock = ManualClock()
    let store: InMemoryBackend
    let faults: FaultInjectingBackend

    init() {
        store = InMemoryBackend(clock: clock)
        faults = FaultInjectingBackend(wrapping: store, clock: clock)
    }

    let metrics = TestMetrics()

    func election(_ id: String) -> Election {
        Election(
            name: "jobs", candidateID: id, backend: faults, configuration: Self.configuration, clock: clock,
            logger: Self.logger, metricsFactory: metrics
        )
    }

    /// Advances the manual clock in `step`s until `condition` holds; fails after `limit` of simulated time.
    func advance(
        until condition: @Sendable () async -> Bool, step: Duration = .milliseconds(10), limit: Duration = .seconds(30)
    ) async throws {
        let start = clock.now
        while await !condition() {
            guard start.duration(to: clock.now) < limit else {
                Issue.record("condition not reached within \(limit) of simulated time")
                throw CancellationError()
            }
            // Let the tasks under test run before time moves again.
            for _ in 0..<20 { await Task.yield() }
            try await Task.sleep(for: .milliseconds(1))
            if await !condition() { clock.advance(by: step) }
        }
    }

    @Test func aBriefStoreOutageIsRiddenOutWhileTheDeadlineHolds() async throws {
        let candidate = election("a")
        let observed = Recorder<Bool>()
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                try await candidate.withLeadership { leadership in
                    observed.append(true)
                    try await Task.sleep(for: .seconds(3600), clock: self.clock)
                }
            }
            try await advance { observed.count == 1 }
            let start = clock.now
            // Renewals fail for 2 s, less than the 2.7 s window.
            faults.inject(.fail, into: [.renewLease])
            try await advance { start.duration(to: clock.now) >= .seconds(2) }
            #expect(candidate.leadership != nil, "leadership should survive a 2 s outage")
            faults.clearFaults()
            try await advance { start.duration(to: clock.now) >= .seconds(6) }
            #expect(candidate.leadership != nil, "leadership should continue after the outage")
            #expect(faults.injectedCount(.renewLease) >= 2)
            group.cancelAll()
        }
    }

    @Test func theBodyIsCancelledWhenTheDeadlinePassesWithoutRenewal() async throws {
        let candidate = election("a")
        let cancelledAt = Recorder<Duration>()
        let lastRenewalSent = Recorder<Duration>()
        let outcome = Recorder<LeadershipLossCause?>()
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                do {
                    try await candidate.withLeadership { leadership in
                        try? await Task.sleep(for: .seconds(3600), clock: self.clock)
                        cancelledAt.append(self.clock.now.offset)
                    }
                } catch let error as ElectionError {
                    outcome.append(error.lossCause)
                }
            }
            try await advance { candidate.leadership != nil }
            // The store stops answering renewals; the deadline is the last acknowledged send + 2.7 s.
            faults.inject(.hang, into: [.renewLease])
            lastRenewalSent.append(clock.now.offset)
            try await advance { outcome.count == 1 }
        }
        let deadline = try #require(cancelledAt.values.first)
        #expect(outcome.values == [.deadlinePassed])
        // Cancelled no earlier than the deadline allowed by the last renewal and at most one step after it.
        #expect(deadline <= lastRenewalSent.values[0] + .milliseconds(2710))
        #expect(deadline >= .milliseconds(2700))
    }

    @Test func theStoreReportingTheLeaseGoneEndsLeadershipAtTheNextRenewal() async throws {
        let candidate = election("a")
        let outcome = Recorder<LeadershipLossCause?>()
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                do {
                    try await candidate.withLeadership { _ in try await Task.sleep(for: .seconds(3600), clock: self.clock) }
                } catch let error as ElectionError {
                    outcome.append(error.lossCause)
                }
            }
            try await advance { candidate.leadership != nil }
            let lease = try #require(try await store.leader(election: "jobs")).lease
            try await store.revokeLease(lease)
            try await advance(until: { outcome.count == 1 }, limit: .seconds(2))
        }
        #expect(outcome.values == [.leaseExpired])
        let dimensions = [("election", "jobs"), ("candidate", "a")]
        #expect(try metrics.expectCounter("leader_election_leadership_acquired_total", dimensions).totalValue == 1)
        #expect(try metrics.expectCounter("leader_election_losses_total", dimensions + [("cause", "leaseExpired")]).totalValue == 1)
        #expect(try metrics.expectGauge("leader_election_is_leader", dimensions).lastValue == 0)
        #expect(try metrics.expectCounter("leader_election_renewals_total", dimensions + [("result", "failure")]).totalValue == 1)
    }

    @Test func resignHandsOverWithoutWaitingForTheTTL() async throws {
        let first = election("first")
        let second = election("second")
        let secondElectedAt = Recorder<Duration>()
        let firstCancelled = Recorder<Bool>()
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                try await first.whileLeader { _ in
                    do { try await Task.sleep(for: .seconds(3600), clock: self.clock) } catch { firstCancelled.append(true) }
                }
            }
            try await advance { first.leadership != nil }
            group.addTask {
                try await second.withLeadership { _ in secondElectedAt.append(self.clock.now.offset) }
            }
            try await advance { (try? await store.candidates(election: "jobs").count) == 2 }
            let resignedAt = clock.now.offset
            await first.resign()
            try await advance(until: { secondElectedAt.count == 1 }, step: .milliseconds(1))
            #expect(firstCancelled.count == 1)
            // Handover takes store calls and a poll, never the lease TTL.
            #expect(try #require(secondElectedAt.values.first) - resignedAt < .milliseconds(500))
            group.cancelAll()
        }
    }

    @Test func observeReportsLeaderAndNoLeader() async throws {
        let candidate = election("a")
        let seen = Recorder<String?>()
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                for try await leader in candidate.observe() { seen.append(leader?.value) }
            }
            try await advance { seen.count == 1 }
            try await candidate.withLeadership { _ in
                try await self.advance { seen.count == 2 }
            }
            try await advance { seen.count == 3 }
            group.cancelAll()
        }
        #expect(seen.values == [nil, "a", nil])
    }
}

/// Values appended from concurrent tasks.
final class Recorder<Value: Sendable>: Sendable {
    private let storage = Mutex<[Value]>([])
    func append(_ value: Value) { storage.withLock { $0.append(value) } }
    var values: [Value] { storage.withLock { $0 } }
    var count: Int { storage.withLock { $0.count } }
}
