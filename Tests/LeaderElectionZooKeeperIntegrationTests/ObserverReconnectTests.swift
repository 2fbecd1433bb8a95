import LeaderElection
import LeaderElectionZooKeeper
import TestSupport
import Testing

extension ZooKeeperIntegrationTests {
    /// `watchLeader` (what ``Election/observe()`` returns) when the observer session's server dies.
    @Suite("observing a ZooKeeper election through a reconnect", .serialized, .timeLimit(.minutes(3)))
    struct ObserverReconnectTests {
        @Test(
            "the observation survives the death of its session's server and still reports nil when there is no leader",
            arguments: ["follower", "leader"]
        )
        func observerServerDies(role: String) async throws {
            try await ZooKeeperEnsemble.with(servers: 3) { ensemble in
                var modes: [Int: String] = [:]
                for server in ensemble.servers { modes[server.id] = try ensemble.mode(of: server) }
                let target = try #require(ensemble.servers.first { modes[$0.id] == role }, "no \(role) in \(modes)")
                // The candidates' sessions stay on a follower that is not killed; the observer knows
                // the target and the remaining server, and moves to the latter.
                let stable = try #require(ensemble.servers.first { $0.id != target.id && modes[$0.id] == "follower" })
                let spare = try #require(ensemble.servers.first { $0.id != target.id && $0.id != stable.id })
                let election = "observed-\(role)"
                let observerConfiguration = ensemble.configuration(of: [target, spare])

                try await ZooKeeperBackend.withBackend(configuration: ensemble.configuration(of: [stable]), logger: TestLogger.make()) {
                    candidates in
                    // A session starts at a random server of its list: make observers until one's session
                    // is on the target (its only client, so any session there is the observer's).
                    for _ in 0..<40 {
                        let observed = try await ZooKeeperBackend.withBackend(
                            configuration: observerConfiguration, logger: TestLogger.make()
                        ) { observer in
                            _ = try await observer.leader(election: election)
                            let connections = try ZooKeeperEnsemble.fourLetterWord("cons", host: target.host, port: target.clientPort)
                            guard connections.contains("sid=0x") else { return false }
                            try await observeThroughDeath(
                                of: target, observer: observer, candidates: candidates, election: election, ensemble: ensemble)
                            return true
                        }
                        if observed { return }
                    }
                    Issue.record("no observer session landed on server \(target.id) in 40 tries")
                }
            }
        }

        private func observeThroughDeath(
            of target: ZooKeeperEnsemble.Server,
            observer: ZooKeeperBackend,
            candidates: ZooKeeperBackend,
            election: String,
            ensemble: ZooKeeperEnsemble
        ) async throws {
            let seen = Locked<[String?]>([])
            let ended = Locked<String?>(nil)
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    do {
                        for try await leader in observer.watchLeader(election: election) {
                            seen.withLock { $0.append(leader?.value) }
                        }
                        ended.withLock { $0 = "the stream ended" }
                    } catch {
                        ended.withLock { $0 = "the stream failed: \(error)" }
                    }
                }
                func waitFor(_ expected: [String?]) async throws {
                    let end = try await Poll.until("observing \(expected.map { $0 ?? "none" })") { () -> String?? in
                        if let end = ended.withLock({ $0 }) { return .some(end) }
                        return seen.withLock { $0 } == expected ? .some(nil) : nil
                    }
                    if let end { throw TestFailure("\(end); seen \(seen.withLock { $0 })") }
                }
                try await waitFor([nil])
                let firstLease = try await candidates.grantLease(ttl: .seconds(20))
                let first = try await candidates.campaign(election: election, lease: firstLease, value: "first")
                try await waitFor([nil, "first"])

                target.process.kill()
                // When the ensemble's leader died, the other two elect a new one first; requests fail until then.
                try await ensemble.waitUntilServing(ensemble.servers.filter { $0.id != target.id })
                _ = try await Poll.until("resigning the first candidacy") {
                    try await candidates.resign(first)
                    return true
                }
                try await waitFor([nil, "first", nil])
                let secondLease = try await candidates.grantLease(ttl: .seconds(20))
                _ = try await Poll.until("campaigning") {
                    try await candidates.campaign(election: election, lease: secondLease, value: "second")
                }
                try await waitFor([nil, "first", nil, "second"])
                #expect(ended.withLock { $0 } == nil)
                try await candidates.revokeLease(firstLease)
                try await candidates.revokeLease(secondLease)
                group.cancelAll()
            }
        }
    }
}
