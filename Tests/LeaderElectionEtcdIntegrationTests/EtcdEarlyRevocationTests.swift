import Foundation
import LeaderElection
import LeaderElectionEtcd
import TestSupport
import Testing

extension EtcdIntegrationTests {
    /// etcd deleting a leader's key while the leader still renews its lease: what a Raft leader
    /// does when it resumes from a pause and revokes the leases it counted down in its stale view
    /// (etcd-io/etcd#12528; Debian 12's etcd 3.4.23 has it). Here a third client revokes the lease,
    /// which looks the same to both candidates.
    @Suite("etcd ending a live leader's lease early", .serialized, .timeLimit(.minutes(3)))
    struct EtcdEarlyRevocationTests {
        /// A leader that renews every second, with its last confirmed renewal and when it learned
        /// that its lease was gone.
        final class RenewingLeader: Sendable {
            let lastConfirmedSentAt = Locked<ContinuousClock.Instant?>(nil)
            let lostAt = Locked<ContinuousClock.Instant?>(nil)

            func run(_ backend: EtcdBackend, _ lease: LeaseID) async {
                while !Task.isCancelled {
                    let sentAt = ContinuousClock.now
                    do {
                        try await backend.renewLease(lease)
                        lastConfirmedSentAt.withLock { $0 = sentAt }
                    } catch let error as ElectionError where error.code == .leaseExpired {
                        lostAt.withLock { $0 = .now }
                        return
                    } catch {}
                    try? await Task.sleep(for: .seconds(1))
                }
            }

            /// When it stopped leading: its deadline, or the moment it learned, whichever first.
            func ended(ttl: Duration) -> ContinuousClock.Instant? {
                guard let lost = lostAt.withLock({ $0 }) else { return nil }
                guard let sent = lastConfirmedSentAt.withLock({ $0 }) else { return lost }
                return min(lost, sent + ttl)
            }
        }

        @Test("the successor leads only after the leader whose lease etcd revoked has stopped")
        func successorWaitsOutEarlyRevocation() async throws {
            let ttl = Duration.seconds(3)
            try await EtcdCluster.with(members: 1) { cluster in
                let messages = Locked<[String]>([])
                try await EtcdBackend.withBackend(configuration: cluster.configuration(), logger: TestLogger.make()) { first in
                    try await EtcdBackend.withBackend(configuration: cluster.configuration(), logger: RecordingLogHandler.logger(messages))
                    {
                        second in
                        let firstLease = try await first.grantLease(ttl: ttl)
                        let leading = try await first.campaign(election: "early", lease: firstLease, value: "first")
                        try await first.waitUntilLeader(leading)
                        let leader = RenewingLeader()
                        let renewals = Task { await leader.run(first, firstLease) }
                        defer { renewals.cancel() }

                        let secondLease = try await second.grantLease(ttl: .seconds(30))
                        let waiting = try await second.campaign(election: "early", lease: secondLease, value: "second")
                        let watchersBefore = try await cluster.watchers()
                        let successor = Task { () throws -> ContinuousClock.Instant in
                            try await second.waitUntilLeader(waiting)
                            return .now
                        }
                        _ = try await Poll.until("the successor to watch its predecessor") {
                            try await cluster.watchers() > watchersBefore ? true : nil
                        }

                        // The store ends the live leader's lease.
                        try await EtcdBackend.withBackend(configuration: cluster.configuration(), logger: TestLogger.make()) { store in
                            try await store.revokeLease(firstLease)
                        }
                        let successorLedAt = try await successor.value
                        _ = try await Poll.until("the first leader to learn its lease is gone") { leader.ended(ttl: ttl) }
                        let firstEnded = try #require(leader.ended(ttl: ttl))
                        #expect(
                            firstEnded < successorLedAt,
                            "two leaders for \(firstEnded - successorLedAt): the successor led before the leader whose lease etcd revoked had stopped"
                        )
                        #expect(messages.withLock { $0.contains { $0.contains("before its lease could have expired") } })
                    }
                }
            }
        }

        @Test("a candidate further back waits out the leader when etcd also ends the next-in-line's lease")
        func furtherBackCandidateWaitsOutEarlyRevocation() async throws {
            // A resumed Raft leader revokes every lease it counted down, waiting candidates' too
            // (the chaos suite saw it): the leader's successor then loses its key, and the
            // candidate behind it becomes the oldest without ever having watched the leader.
            let ttl = Duration.seconds(3)
            try await EtcdCluster.with(members: 1) { cluster in
                try await EtcdBackend.withBackend(configuration: cluster.configuration(), logger: TestLogger.make()) { first in
                    try await EtcdBackend.withBackend(configuration: cluster.configuration(), logger: TestLogger.make()) { second in
                        try await EtcdBackend.withBackend(configuration: cluster.configuration(), logger: TestLogger.make()) { third in
                            let firstLease = try await first.grantLease(ttl: ttl)
                            let leading = try await first.campaign(election: "sweep", lease: firstLease, value: "first")
                            try await first.waitUntilLeader(leading)
                            let leader = RenewingLeader()
                            let renewals = Task { await leader.run(first, firstLease) }
                            defer { renewals.cancel() }

                            let secondLease = try await second.grantLease(ttl: .seconds(30))
                            let next = try await second.campaign(election: "sweep", lease: secondLease, value: "second")
                            let thirdLease = try await third.grantLease(ttl: .seconds(30))
                            let behind = try await third.campaign(election: "sweep", lease: thirdLease, value: "third")
                            let watchersBefore = try await cluster.watchers()
                            let nextWaits = Task { try await second.waitUntilLeader(next) }
                            let behindLedAt = Task { () throws -> ContinuousClock.Instant in
                                try await third.waitUntilLeader(behind)
                                return .now
                            }
                            // Each watches its predecessor and its own key.
                            _ = try await Poll.until("both candidates to watch their predecessors") {
                                try await cluster.watchers() >= watchersBefore + 4 ? true : nil
                            }

                            // The sweep: the leader's lease first, then its successor's.
                            try await EtcdBackend.withBackend(configuration: cluster.configuration(), logger: TestLogger.make()) { store in
                                try await store.revokeLease(firstLease)
                                try await store.revokeLease(secondLease)
                            }
                            await #expect(throws: ElectionError.self) { try await nextWaits.value }
                            let ledAt = try await behindLedAt.value
                            _ = try await Poll.until("the first leader to learn its lease is gone") { leader.ended(ttl: ttl) }
                            let firstEnded = try #require(leader.ended(ttl: ttl))
                            #expect(
                                firstEnded < ledAt,
                                "two leaders for \(firstEnded - ledAt): a candidate further back led before the leader whose lease etcd revoked had stopped"
                            )
                        }
                    }
                }
            }
        }

        @Test("a candidate that campaigns after etcd ended the leader's lease waits out the leader")
        func newCandidateWaitsOutEarlyRevocation() async throws {
            // The sweep also takes the waiting candidates' leases; each grants a new one and
            // campaigns again, and the first one back finds no older candidate at all.
            let ttl = Duration.seconds(3)
            try await EtcdCluster.with(members: 1) { cluster in
                try await EtcdBackend.withBackend(configuration: cluster.configuration(), logger: TestLogger.make()) { first in
                    try await EtcdBackend.withBackend(configuration: cluster.configuration(), logger: TestLogger.make()) { second in
                        let firstLease = try await first.grantLease(ttl: ttl)
                        let leading = try await first.campaign(election: "rejoin", lease: firstLease, value: "first")
                        try await first.waitUntilLeader(leading)
                        let leader = RenewingLeader()
                        let renewals = Task { await leader.run(first, firstLease) }
                        defer { renewals.cancel() }

                        try await EtcdBackend.withBackend(configuration: cluster.configuration(), logger: TestLogger.make()) { store in
                            try await store.revokeLease(firstLease)
                        }
                        let secondLease = try await second.grantLease(ttl: .seconds(30))
                        let rejoined = try await second.campaign(election: "rejoin", lease: secondLease, value: "second")
                        try await second.waitUntilLeader(rejoined)
                        let ledAt = ContinuousClock.now
                        _ = try await Poll.until("the first leader to learn its lease is gone") { leader.ended(ttl: ttl) }
                        let firstEnded = try #require(leader.ended(ttl: ttl))
                        #expect(
                            firstEnded < ledAt,
                            "two leaders for \(firstEnded - ledAt): a new candidate led before the leader whose lease etcd revoked had stopped"
                        )
                    }
                }
            }
        }

        @Test("a leader whose lease expires (it crashed) is succeeded at the expiry, without a wait")
        func crashedLeaderIsSucceededAtItsExpiry() async throws {
            try await EtcdCluster.with(members: 1) { cluster in
                let messages = Locked<[String]>([])
                try await EtcdBackend.withBackend(configuration: cluster.configuration(), logger: TestLogger.make()) { first in
                    try await EtcdBackend.withBackend(configuration: cluster.configuration(), logger: RecordingLogHandler.logger(messages))
                    {
                        second in
                        // The first leads and never renews: its lease expires as a crashed leader's does.
                        let firstLease = try await first.grantLease(ttl: .seconds(3))
                        let leading = try await first.campaign(election: "crash", lease: firstLease, value: "first")
                        try await first.waitUntilLeader(leading)
                        let secondLease = try await second.grantLease(ttl: .seconds(30))
                        let waiting = try await second.campaign(election: "crash", lease: secondLease, value: "second")
                        try await second.waitUntilLeader(waiting)
                        #expect(try await first.remainingTime(of: firstLease) == nil, "the successor led only after the expiry")
                        #expect(
                            !messages.withLock { $0.contains { $0.contains("without a step-down") } },
                            "the successor watched the leader's lease expire: no wait after it")
                        try await second.revokeLease(secondLease)
                    }
                }
            }
        }

        @Test("a candidate that was further back watches the new leader's lease too: a second crash needs no wait either")
        func laterSuccessorsWatchTheirLeadersLease() async throws {
            try await EtcdCluster.with(members: 1) { cluster in
                let messages = Locked<[String]>([])
                try await EtcdBackend.withBackend(configuration: cluster.configuration(), logger: TestLogger.make()) { first in
                    try await EtcdBackend.withBackend(configuration: cluster.configuration(), logger: TestLogger.make()) { second in
                        try await EtcdBackend.withBackend(
                            configuration: cluster.configuration(), logger: RecordingLogHandler.logger(messages)
                        ) {
                            third in
                            // Three candidates; the first and then the second crash (their leases expire).
                            let firstLease = try await first.grantLease(ttl: .seconds(3))
                            let leading = try await first.campaign(election: "crashes", lease: firstLease, value: "first")
                            try await first.waitUntilLeader(leading)
                            let secondLease = try await second.grantLease(ttl: .seconds(3))
                            let next = try await second.campaign(election: "crashes", lease: secondLease, value: "second")
                            let thirdLease = try await third.grantLease(ttl: .seconds(30))
                            let behind = try await third.campaign(election: "crashes", lease: thirdLease, value: "third")
                            let thirdLeads = Task { try await third.waitUntilLeader(behind) }
                            // The second renews until it leads, then stops, as if it crashed right after.
                            let renewals = Task {
                                while !Task.isCancelled {
                                    try? await second.renewLease(secondLease)
                                    try? await Task.sleep(for: .milliseconds(500))
                                }
                            }
                            try await second.waitUntilLeader(next)
                            renewals.cancel()
                            try await thirdLeads.value
                            #expect(try await second.remainingTime(of: secondLease) == nil, "the third led only after the second's expiry")
                            #expect(
                                !messages.withLock { $0.contains { $0.contains("without a step-down") } },
                                "the third watched the second's lease once it was next in line: no wait after its expiry")
                            try await third.revokeLease(thirdLease)
                        }
                    }
                }
            }
        }

        @Test("a leader that steps down hands over at once: its successor does not wait")
        func stepDownHandsOverAtOnce() async throws {
            try await EtcdCluster.with(members: 1) { cluster in
                let messages = Locked<[String]>([])
                try await EtcdBackend.withBackend(configuration: cluster.configuration(), logger: TestLogger.make()) { first in
                    try await EtcdBackend.withBackend(configuration: cluster.configuration(), logger: RecordingLogHandler.logger(messages))
                    {
                        second in
                        for round in 0..<3 {
                            let firstLease = try await first.grantLease(ttl: .seconds(30))
                            let leading = try await first.campaign(election: "handover-\(round)", lease: firstLease, value: "first")
                            try await first.waitUntilLeader(leading)
                            let secondLease = try await second.grantLease(ttl: .seconds(30))
                            let waiting = try await second.campaign(election: "handover-\(round)", lease: secondLease, value: "second")
                            let watchersBefore = try await cluster.watchers()
                            let successor = Task { try await second.waitUntilLeader(waiting) }
                            _ = try await Poll.until("the successor to watch its predecessor") {
                                try await cluster.watchers() > watchersBefore ? true : nil
                            }
                            // Round 0 revokes (as Election does when a term ends), round 1 resigns and
                            // then revokes, round 2 resigns and keeps the lease.
                            if round == 1 || round == 2 { try await first.resign(leading) }
                            if round < 2 { try await first.revokeLease(firstLease) }
                            try await successor.value
                            try await second.revokeLease(secondLease)
                            if round == 2 { try await first.revokeLease(firstLease) }
                        }
                        // A candidate arriving after the leader stepped down has no predecessor to
                        // watch; it learns how the last leader ended from the election's record.
                        let lateLease = try await second.grantLease(ttl: .seconds(30))
                        let late = try await second.campaign(election: "handover-0", lease: lateLease, value: "late")
                        try await second.waitUntilLeader(late)
                        try await second.revokeLease(lateLease)
                        #expect(!messages.withLock { $0.contains { $0.contains("before its lease could have expired") } })
                    }
                }
            }
        }
    }
}
