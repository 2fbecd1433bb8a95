import ChildProcesses
import Foundation
import Glibc
import LeaderElection
import LeaderElectionZooKeeper
import Synchronization
import TestSupport
import Testing

extension ZooKeeperIntegrationTests {
    /// Sessions as leases: moving between servers, expiring, and errors.
    @Suite("ZooKeeper sessions", .serialized, .timeLimit(.minutes(5)))
    struct ZooKeeperSessionTests {
        @Test("killing the server a leader's session is connected to: the session moves to another server and leadership is kept")
        func sessionMovesToAnotherServer() async throws {
            try await ZooKeeperEnsemble.with(servers: 3) { ensemble in
                // Only the followers: whichever one the session picks can die without losing the quorum.
                var followers: [ZooKeeperEnsemble.Server] = []
                for server in ensemble.servers where try ZooKeeperEnsemble.mode(port: server.clientPort) == "follower" {
                    followers.append(server)
                }
                try #require(followers.count == 2)
                let configuration = ZooKeeperConfiguration(endpoints: followers.map { .init(host: "127.0.0.1", port: $0.clientPort) })
                try await ZooKeeperBackend.withBackend(configuration: configuration, logger: TestLogger.make()) { backend in
                    let election = Election(
                        name: "moving",
                        candidateID: "mover",
                        backend: backend,
                        configuration: try Election.Configuration(leaseTTL: .seconds(4)),
                        logger: TestLogger.make()
                    )
                    let leads = AsyncGate()
                    let lost = Locked(false)
                    try await withThrowingTaskGroup(of: Void.self) { group in
                        group.addTask {
                            do {
                                try await election.withLeadership { _ in
                                    leads.open()
                                    try await Task.sleep(for: .seconds(3600))
                                }
                            } catch {
                                lost.withLock { $0 = true }
                            }
                        }
                        await leads.wait()
                        let leadership = try #require(election.leadership)
                        let candidacy = try #require(try await backend.leader(election: "moving"))
                        let session = "0x" + String(UInt64(bitPattern: candidacy.lease.rawValue), radix: 16)
                        let connected = try #require(
                            followers.first { server in
                                ((try? ZooKeeperEnsemble.fourLetterWord("cons", port: server.clientPort)) ?? "").contains("sid=\(session)")
                            })
                        connected.process.kill()
                        // Three TTLs: the session must have been renewed through the other follower.
                        try await Task.sleep(for: .seconds(12))
                        #expect(!lost.withLock { $0 }, "leadership was lost after the session's server died")
                        #expect(election.leadership?.token == leadership.token)
                        #expect(try await backend.leader(election: "moving")?.token == leadership.token)
                        group.cancelAll()
                    }
                }
            }
        }

        @Test("a paused server: the leader's body is cancelled before its session can expire at the server")
        func pausedServer() async throws {
            try await ZooKeeperEnsemble.with(servers: 1) { ensemble in
                try await ZooKeeperBackend.withBackend(configuration: ensemble.configuration(), logger: TestLogger.make()) { backend in
                    let ttl = Duration.seconds(2)
                    let election = Election(
                        name: "paused",
                        candidateID: "leader",
                        backend: backend,
                        configuration: try Election.Configuration(leaseTTL: ttl),
                        logger: TestLogger.make()
                    )
                    let clock = ContinuousClock()
                    let leads = AsyncGate()
                    let cancelledAt = Locked<ContinuousClock.Instant?>(nil)
                    let server = ensemble.servers[0].process
                    try await withThrowingTaskGroup(of: Void.self) { group in
                        group.addTask {
                            try? await election.withLeadership { _ in
                                leads.open()
                                do {
                                    try await Task.sleep(for: .seconds(3600))
                                } catch {
                                    cancelledAt.withLock { $0 = clock.now }
                                    throw error
                                }
                            }
                        }
                        await leads.wait()
                        // Every renewal acknowledged so far was sent before this instant.
                        let stoppedAt = clock.now
                        server.signal(SIGSTOP)
                        defer { server.signal(SIGCONT) }
                        let limit = stoppedAt + .seconds(30)
                        while cancelledAt.withLock({ $0 }) == nil, clock.now < limit {
                            try await Task.sleep(for: .milliseconds(10))
                        }
                        let cancelled = try #require(cancelledAt.withLock { $0 }, "the body was not cancelled while the server was paused")
                        // The server cannot expire the session before the last acknowledged renewal's
                        // send time plus the session timeout (TTL plus a third): the body stopped earlier.
                        #expect(
                            stoppedAt.duration(to: cancelled) < ttl + ttl / 3,
                            "cancelled \(stoppedAt.duration(to: cancelled)) after the pause")
                        group.cancelAll()
                    }
                }
            }
        }

        @Test("a reconnect to a server that grants a session timeout shorter than the TTL ends the lease")
        func shorterTimeoutAfterReconnect() async throws {
            // Server 1 (a follower: a fresh ensemble never elects it) grants at most 1 s; the TTL is 2 s.
            try await ZooKeeperEnsemble.with(servers: 3, settings: [1: ["maxSessionTimeout=1000"]]) { ensemble in
                let short = ensemble.servers[0]
                try #require(try ensemble.mode(of: short) == "follower")
                var other: ZooKeeperEnsemble.Server?
                for server in ensemble.servers.dropFirst() where try ensemble.mode(of: server) == "follower" { other = server }
                let first = try #require(other, "no second follower")
                let leaderServer = try #require(ensemble.servers.first { $0.id != short.id && $0.id != first.id })
                let configuration = ensemble.configuration(of: [first, short])
                try await ZooKeeperBackend.withBackend(configuration: configuration, logger: TestLogger.make()) { backend in
                    try await ZooKeeperBackend.withBackend(
                        configuration: ensemble.configuration(of: [leaderServer]), logger: TestLogger.make()
                    ) { direct in
                        // A session starts at a random server of its list; on the short one the grant is
                        // refused, so ask until it is granted on the other.
                        let lease = try await Poll.until("a lease granted by server \(first.id)") { () async throws -> LeaseID? in
                            do {
                                return try await backend.grantLease(ttl: .seconds(2))
                            } catch let error as ElectionError where error.code == .invalidConfiguration {
                                return nil
                            }
                        }
                        let candidacy = try await backend.campaign(election: "short-timeout", lease: lease, value: "swift")
                        try await backend.renewLease(lease)

                        first.process.kill()
                        // The next renewal moves the session to the short server (one may first fail on the
                        // broken connection).
                        var outcome: ElectionError?
                        for _ in 0..<5 {
                            do {
                                try await backend.renewLease(lease)
                                Issue.record("a renewal succeeded on a session whose timeout is now shorter than the TTL")
                                break
                            } catch let error as ElectionError where error.code == .storeUnavailable {
                                continue
                            } catch let error as ElectionError {
                                outcome = error
                                break
                            }
                        }
                        let error = try #require(outcome, "no renewal ended the lease")
                        #expect(error.code == .leaseExpired, "\(error)")
                        #expect(error.message.contains("maxSessionTimeout"), "\(error.message)")
                        // The session was closed, so the candidacy is gone at once (at the latest when
                        // the short timeout expires it).
                        _ = try await Poll.until("the candidacy to go", timeout: .seconds(20)) {
                            try await direct.candidates(election: "short-timeout").contains { $0.key == candidacy.key } ? nil : true
                        }
                    }
                }
            }
        }

        @Test("unreachable servers fail with storeUnavailable naming them")
        func unreachable() async throws {
            let ports = try FreePort.pick(2)
            var configuration = ZooKeeperConfiguration(endpoints: ports.map { .init(host: "127.0.0.1", port: $0) })
            configuration.requestTimeout = .seconds(3)
            try await ZooKeeperBackend.withBackend(configuration: configuration, logger: TestLogger.make()) { backend in
                do {
                    _ = try await backend.grantLease(ttl: .seconds(2))
                    Issue.record("a lease was granted by no server")
                } catch let error as ElectionError {
                    #expect(error.code == .storeUnavailable)
                    #expect(error.message.contains("127.0.0.1:\(ports[0])"), "\(error.message)")
                }
            }
        }

        @Test("a TTL longer than the servers' maxSessionTimeout is refused with what to change")
        func ttlTooLong() async throws {
            try await ZooKeeperEnsemble.with(servers: 1) { ensemble in
                try await ZooKeeperBackend.withBackend(configuration: ensemble.configuration(), logger: TestLogger.make()) { backend in
                    do {
                        _ = try await backend.grantLease(ttl: .seconds(600))
                        Issue.record("a lease longer than maxSessionTimeout was granted")
                    } catch let error as ElectionError {
                        #expect(error.code == .invalidConfiguration)
                        #expect(error.message.contains("maxSessionTimeout"))
                    }
                }
            }
        }
    }
}
