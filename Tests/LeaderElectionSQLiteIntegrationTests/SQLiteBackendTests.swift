import LeaderElection
import LeaderElectionSQLite
import SQLiteNIO
import Synchronization
import TestSupport
import Testing

@Suite("SQLite backend", .serialized, .timeLimit(.minutes(3)))
struct SQLiteBackendTests {
    @Test("tokens and lease IDs strictly increase and survive reopening the file")
    func countersSurviveReopening() async throws {
        try await withTemporaryDirectory { directory in
            let path = directory.file()
            let (firstLeases, firstTokens) = try await withBackends(1, on: path) { backends in
                let backend = backends[0]
                let a = try await backend.grantLease(ttl: .seconds(30))
                let b = try await backend.grantLease(ttl: .seconds(30))
                let joinedA = try await backend.campaign(election: "e", lease: a, value: "a")
                let again = try await backend.campaign(election: "e", lease: a, value: "ignored")
                #expect(again == joinedA, "campaigning twice with one lease returns the existing candidacy")
                let joinedB = try await backend.campaign(election: "e", lease: b, value: "b")
                #expect(joinedA.key == "e/\(a)")
                #expect(joinedA.token < joinedB.token)
                #expect(a.rawValue < b.rawValue)
                // Delete every row: the counters must not depend on them.
                try await backend.revokeLease(a)
                try await backend.revokeLease(b)
                #expect(try await backend.candidates(election: "e").isEmpty)
                return ([a, b], [joinedA.token, joinedB.token])
            }
            try await withBackends(1, on: path) { backends in
                let backend = backends[0]
                let lease = try await backend.grantLease(ttl: .seconds(30))
                let joined = try await backend.campaign(election: "other", lease: lease, value: "c")
                #expect(firstLeases.allSatisfy { $0.rawValue < lease.rawValue })
                #expect(firstTokens.allSatisfy { $0 < joined.token })
            }
        }
    }

    @Test("concurrent campaigns from four backends get distinct leases and tokens, in the file's order")
    func concurrentCampaignsGetDistinctTokens() async throws {
        try await withTemporaryDirectory { directory in
            try await withBackends(4, on: directory.file()) { backends in
                let joined = try await withThrowingTaskGroup(of: [Candidacy].self) { group in
                    for (index, backend) in backends.enumerated() {
                        group.addTask {
                            var joined: [Candidacy] = []
                            for round in 0..<25 {
                                let lease = try await backend.grantLease(ttl: .seconds(60))
                                joined.append(try await backend.campaign(election: "e", lease: lease, value: "\(index)-\(round)"))
                            }
                            return joined
                        }
                    }
                    return try await group.reduce(into: []) { $0 += $1 }
                }
                #expect(Set(joined.map(\.token)).count == 100)
                #expect(Set(joined.map(\.lease)).count == 100)
                let stored = try await backends[0].candidates(election: "e")
                #expect(stored == joined.sorted { $0.token < $1.token })
            }
        }
    }

    @Test("two backends on one file see each other's candidacies")
    func twoProcessesShareTheFile() async throws {
        try await withTemporaryDirectory { directory in
            try await withBackends(2, on: directory.file()) { backends in
                let (one, two) = (backends[0], backends[1])
                let first = try await one.campaign(election: "e", lease: try await one.grantLease(ttl: .seconds(30)), value: "one")
                #expect(try await two.candidates(election: "e") == [first])
                #expect(try await two.leader(election: "e") == first)
                let second = try await two.campaign(election: "e", lease: try await two.grantLease(ttl: .seconds(30)), value: "two")
                #expect(try await one.candidates(election: "e") == [first, second])
                #expect(try await one.leader(election: "e") == first)
                #expect(try await one.leader(election: "unrelated") == nil)
            }
        }
    }

    @Test("an expired lease is reaped, with its candidacy, by a third party's call")
    func expiredLeaseIsReapedByWhoeverLooks() async throws {
        let time = FakeTime()
        try await withTemporaryDirectory { directory in
            let path = directory.file()
            try await withBackends(3, on: path, time: time) { backends in
                let (crashed, survivor, bystander) = (backends[0], backends[1], backends[2])
                let crashedLease = try await crashed.grantLease(ttl: .seconds(5))
                _ = try await crashed.campaign(election: "e", lease: crashedLease, value: "crashed")
                let survivorLease = try await survivor.grantLease(ttl: .seconds(60))
                let successor = try await survivor.campaign(election: "e", lease: survivorLease, value: "survivor")

                time.advance(by: .seconds(4))
                #expect(try await bystander.leader(election: "e")?.value == "crashed", "not expired yet")
                time.advance(by: .seconds(1))
                // Expiry is inclusive: expires_at_ns <= now.
                #expect(try await bystander.candidates(election: "e") == [successor])

                // The rows are gone from the file, not merely hidden.
                let leaseIDs = try await withRawConnection(path) { connection in
                    try await connection.query("SELECT id FROM leases ORDER BY id").compactMap { $0.column("id")?.integer }
                }
                #expect(leaseIDs == [Int(survivorLease.rawValue)])
                await #expect(throws: ElectionError.self) { try await crashed.renewLease(crashedLease) }
                do {
                    try await crashed.renewLease(crashedLease)
                } catch {
                    #expect(code(of: error) == .leaseExpired)
                }
            }
        }
    }

    @Test("renewing moves the expiry to a TTL from now")
    func renewalExtendsTheLease() async throws {
        let time = FakeTime()
        try await withTemporaryDirectory { directory in
            try await withBackends(2, on: directory.file(), time: time) { backends in
                let lease = try await backends[0].grantLease(ttl: .seconds(5))
                let joined = try await backends[0].campaign(election: "e", lease: lease, value: "x")
                for _ in 0..<3 {
                    time.advance(by: .seconds(4))
                    try await backends[0].renewLease(lease)
                }
                #expect(try await backends[1].leader(election: "e") == joined)
                time.advance(by: .seconds(5))
                #expect(try await backends[1].leader(election: "e") == nil)
            }
        }
    }

    @Test("leases granted before a reboot (the boot-time clock restarted) are reaped")
    func leasesFromBeforeARebootAreReaped() async throws {
        let time = FakeTime(start: .seconds(86_400))
        try await withTemporaryDirectory { directory in
            try await withBackends(1, on: directory.file(), time: time) { backends in
                let lease = try await backends[0].grantLease(ttl: .seconds(5))
                _ = try await backends[0].campaign(election: "e", lease: lease, value: "before reboot")
                time.set(.seconds(30))
                #expect(try await backends[0].leader(election: "e") == nil)
            }
        }
    }

    @Test("resigning deletes the candidacy but keeps the lease")
    func resignKeepsTheLease() async throws {
        try await withTemporaryDirectory { directory in
            try await withBackends(1, on: directory.file()) { backends in
                let backend = backends[0]
                let lease = try await backend.grantLease(ttl: .seconds(30))
                let joined = try await backend.campaign(election: "e", lease: lease, value: "x")
                try await backend.resign(joined)
                try await backend.resign(joined)
                #expect(try await backend.candidates(election: "e").isEmpty)
                try await backend.renewLease(lease)
                let rejoined = try await backend.campaign(election: "e", lease: lease, value: "x")
                #expect(rejoined.token > joined.token)
                try await backend.revokeLease(lease)
                try await backend.revokeLease(lease)
                do {
                    _ = try await backend.campaign(election: "e", lease: lease, value: "x")
                    Issue.record("campaign on a revoked lease succeeded")
                } catch {
                    #expect(code(of: error) == .leaseExpired)
                }
            }
        }
    }

    @Test("waitUntilLeader returns after the predecessor, in another process, revokes its lease")
    func waitUntilLeaderReturnsAfterRevoke() async throws {
        try await withTemporaryDirectory { directory in
            try await withBackends(2, on: directory.file()) { backends in
                let (leader, follower) = (backends[0], backends[1])
                let leaderLease = try await leader.grantLease(ttl: .seconds(30))
                let first = try await leader.campaign(election: "e", lease: leaderLease, value: "leader")
                try await leader.waitUntilLeader(first)
                let second = try await follower.campaign(
                    election: "e", lease: try await follower.grantLease(ttl: .seconds(30)), value: "follower")
                let revoked = Locked(false)
                try await within("the follower's takeover") {
                    try await withThrowingTaskGroup(of: Void.self) { group in
                        group.addTask {
                            try await follower.waitUntilLeader(second)
                            let revokedFirst = revoked.value
                            #expect(revokedFirst, "the follower led before the leader revoked")
                        }
                        // Let the follower poll at least once while it is not the leader.
                        try await Task.sleep(for: .milliseconds(50))
                        revoked.withLock { $0 = true }
                        try await leader.revokeLease(leaderLease)
                        try await group.waitForAll()
                    }
                }
                #expect(try await leader.leader(election: "e") == second)
            }
        }
    }

    @Test("waitUntilLeader throws leaseExpired when its own lease is revoked")
    func waitUntilLeaderThrowsWhenItsLeaseIsRevoked() async throws {
        try await withTemporaryDirectory { directory in
            try await withBackends(2, on: directory.file()) { backends in
                let (leader, follower) = (backends[0], backends[1])
                _ = try await leader.campaign(election: "e", lease: try await leader.grantLease(ttl: .seconds(30)), value: "leader")
                let followerLease = try await follower.grantLease(ttl: .seconds(30))
                let waiting = try await follower.campaign(election: "e", lease: followerLease, value: "follower")
                let outcome: ElectionError.Code? = try await within("the waiter's failure") {
                    try await withThrowingTaskGroup(of: ElectionError.Code?.self) { group in
                        group.addTask {
                            do {
                                try await follower.waitUntilLeader(waiting)
                                return nil
                            } catch {
                                return code(of: error)
                            }
                        }
                        try await leader.revokeLease(followerLease)
                        return try await group.next() ?? nil
                    }
                }
                #expect(outcome == .leaseExpired)
            }
        }
    }

    @Test("waitUntilLeader ends promptly when its task is cancelled")
    func waitUntilLeaderHonoursCancellation() async throws {
        try await withTemporaryDirectory { directory in
            try await withBackends(1, on: directory.file(), pollInterval: .seconds(60)) { backends in
                let backend = backends[0]
                _ = try await backend.campaign(election: "e", lease: try await backend.grantLease(ttl: .seconds(30)), value: "leader")
                let waiting = try await backend.campaign(
                    election: "e", lease: try await backend.grantLease(ttl: .seconds(30)), value: "waiter")
                let thrown = try await within("the cancelled wait to end", limit: .seconds(5)) {
                    let task = Task { try await backend.waitUntilLeader(waiting) }
                    try await Task.sleep(for: .milliseconds(20))
                    task.cancel()
                    do {
                        try await task.value
                        return false
                    } catch {
                        return error is CancellationError
                    }
                }
                #expect(thrown)
            }
        }
    }

    @Test("watchLeader yields nil, each leader, and nil again, without repeats")
    func watchLeaderIncludesNil() async throws {
        try await withTemporaryDirectory { directory in
            try await withBackends(2, on: directory.file()) { backends in
                let (watcher, candidate) = (backends[0], backends[1])
                let seen = Locked<[String?]>([])
                try await within("the watcher to see two terms") {
                    try await withThrowingTaskGroup(of: Void.self) { group in
                        group.addTask {
                            for try await leader in watcher.watchLeader(election: "e") {
                                seen.withLock { $0.append(leader?.value) }
                            }
                        }
                        func waitForCount(_ count: Int) async throws {
                            while seen.withLock({ $0.count }) < count { try await Task.sleep(for: .milliseconds(2)) }
                        }
                        try await waitForCount(1)
                        for name in ["first", "second"] {
                            let lease = try await candidate.grantLease(ttl: .seconds(30))
                            _ = try await candidate.campaign(election: "e", lease: lease, value: name)
                            try await waitForCount(seen.withLock { $0.count } + 1)
                            // Renewing changes nothing the watcher reports.
                            try await candidate.renewLease(lease)
                            try await candidate.revokeLease(lease)
                            try await waitForCount(seen.withLock { $0.count } + 1)
                        }
                        group.cancelAll()
                    }
                }
                #expect(seen.value == [nil, "first", nil, "second", nil])
            }
        }
    }

    @Test(
        "an operation fails as storeUnavailable after busyTimeout while another process holds the write lock, and ends early when cancelled"
    )
    func busyFileTimesOut() async throws {
        try await withTemporaryDirectory { directory in
            let path = directory.file()
            try await withBackends(1, on: path, busyTimeout: .milliseconds(300)) { backends in
                let backend = backends[0]
                try await withRawConnection(path) { connection in
                    _ = try await connection.query("BEGIN IMMEDIATE")
                    let clock = ContinuousClock()
                    let start = clock.now
                    do {
                        _ = try await backend.grantLease(ttl: .seconds(5))
                        Issue.record("granted a lease while another connection held the write lock")
                    } catch {
                        #expect(code(of: error) == .storeUnavailable)
                        #expect((error as? ElectionError)?.message.contains(path) == true)
                    }
                    #expect(start.duration(to: clock.now) >= .milliseconds(300))

                    let cancelled = try await within("the cancelled grant to end", limit: .seconds(5)) {
                        let task = Task { try await backend.grantLease(ttl: .seconds(5)) }
                        try await Task.sleep(for: .milliseconds(20))
                        task.cancel()
                        do {
                            _ = try await task.value
                            return false
                        } catch {
                            return error is CancellationError
                        }
                    }
                    #expect(cancelled)
                    _ = try await connection.query("ROLLBACK")
                }
                #expect(try await backend.grantLease(ttl: .seconds(5)).rawValue > 0)
            }
        }
    }

    @Test("the file is in WAL mode with the versioned schema")
    func fileIsInWALModeWithSchemaVersion() async throws {
        try await withTemporaryDirectory { directory in
            let path = directory.file()
            try await withBackends(1, on: path) { _ in }
            let (mode, version) = try await withRawConnection(path) { connection in
                (
                    try await connection.query("PRAGMA journal_mode").first?.column("journal_mode")?.string,
                    try await connection.query("SELECT value FROM meta WHERE name = 'schema_version'").first?.column("value")?.integer
                )
            }
            #expect(mode == "wal")
            #expect(version == 1)
        }
    }

    @Test("withBackend opens the file for its body and closes it afterwards")
    func withBackendOpensAndCloses() async throws {
        try await withTemporaryDirectory { directory in
            let configuration = SQLiteConfiguration(path: directory.file())
            let backend = try await SQLiteBackend.withBackend(configuration: configuration, logger: testLogger) { backend in
                _ = try await backend.campaign(election: "e", lease: try await backend.grantLease(ttl: .seconds(30)), value: "v")
                #expect(try await backend.leader(election: "e")?.value == "v")
                return backend
            }
            do {
                _ = try await backend.leader(election: "e")
                Issue.record("a backend whose run() ended answered")
            } catch {
                #expect(code(of: error) == .storeUnavailable)
            }
        }
    }

    @Test("a shutdown that comes before run() makes it end at once")
    func shutdownBeforeRun() async throws {
        try await withTemporaryDirectory { directory in
            let backend = try SQLiteBackend(configuration: SQLiteConfiguration(path: directory.file()), logger: testLogger)
            backend.shutdown()
            try await within("run() after shutdown() returning") { try await backend.run() }
            do {
                _ = try await backend.leader(election: "e")
                Issue.record("a backend whose run() ended answered")
            } catch {
                #expect(code(of: error) == .storeUnavailable)
            }
        }
    }

    @Test("a closed backend refuses further calls")
    func closedBackendRefusesCalls() async throws {
        try await withTemporaryDirectory { directory in
            let backend = try await openBackend(directory.file())
            try await backend.close()
            try await backend.close()
            do {
                _ = try await backend.leader(election: "e")
                Issue.record("a closed backend answered")
            } catch {
                #expect(code(of: error) == .storeUnavailable)
            }
        }
    }
}
