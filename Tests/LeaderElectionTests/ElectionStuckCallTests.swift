import LeaderElection
import LeaderElectionTesting
import Testing

/// A store call that ignores cancellation (a query on a connection that a partition cut off,
/// waiting minutes for TCP to give up) must not keep a candidate out of the election: after the
/// term ends, the candidate campaigns again within one TTL, whatever the stuck call does.
extension ElectionTests {
    @Test func aStuckRenewalAndRevocationDoNotKeepTheLeaderOutOfTheNextElection() async throws {
        let candidate = election("a")
        let elected = Recorder<Duration>()
        let cancelled = Recorder<Duration>()
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                try await candidate.whileLeader { _ in
                    elected.append(self.clock.now.offset)
                    try? await Task.sleep(for: .seconds(3600), clock: self.clock)
                    cancelled.append(self.clock.now.offset)
                }
            }
            try await advance { elected.count == 1 }
            // From now on renewals never answer, and nor does the revocation at the end of the term.
            faults.inject(.hangIgnoringCancellation, into: [.renewLease])
            faults.inject(.hangIgnoringCancellation, into: [.revokeLease], count: 1)
            do {
                try await advance { elected.count == 2 }
            } catch {}
            faults.releaseStuckCalls()
            group.cancelAll()
        }
        try #require(elected.count >= 2, "the candidate never led again while the stuck calls lasted")
        let end = try #require(cancelled.values.first)
        // The store keeps the unrevoked lease for a TTL after its last renewal, which was sent
        // before the deadline; so the next term leads at most one TTL after the deadline.
        #expect(elected.values[1] - end <= Self.configuration.leaseTTL, "led again \(elected.values[1] - end) after the deadline")
    }

    @Test func aStuckCampaignCallDoesNotKeepTheCandidateOutOfTheNextElection() async throws {
        let leader = election("leader")
        let waiter = election("waiter")
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await leader.withLeadership { _ in try await Task.sleep(for: .seconds(3600), clock: self.clock) } }
            try await advance { leader.leadership != nil }
            // The waiter's wait to lead never answers, even when its term ends.
            faults.inject(.hangIgnoringCancellation, into: [.waitUntilLeader], count: 1)
            group.addTask { try await waiter.whileLeader { _ in } }
            try await advance { (try? await store.candidates(election: "jobs").count) == 2 }
            let firstLease = try await store.candidates(election: "jobs")[1].lease
            // The store loses the waiter's lease: its next renewal ends the term.
            try await store.revokeLease(firstLease)
            let revokedAt = clock.now.offset
            var campaignedAgainAt: Duration?
            do {
                try await advance {
                    let candidates = (try? await self.store.candidates(election: "jobs")) ?? []
                    return candidates.count == 2 && candidates[1].lease != firstLease
                }
                campaignedAgainAt = clock.now.offset
            } catch {}
            faults.releaseStuckCalls()
            group.cancelAll()
            let again = try #require(campaignedAgainAt, "the waiter never campaigned again while its stuck call lasted")
            #expect(again - revokedAt <= Self.configuration.leaseTTL, "campaigned again \(again - revokedAt) after losing its lease")
        }
    }
}
