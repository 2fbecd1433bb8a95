import Glibc

/// Scenarios of the `leader` command that every networked backend's tests run against their own
/// store, so that the CLI behaves the same whichever store URL it is given.
public enum LeaderCommandScenarios {
    /// `observe`, two `campaign`s and `status` share one election on `store` (the `--store`
    /// arguments); SIGINT makes the leader resign and the other campaign takes over at once.
    /// - Parameter leaderKey: What `status` prints for the leader's key, up to the candidacy's
    ///   own part (`jobs/` on etcd and PostgreSQL, `/leader-election/jobs/` on ZooKeeper).
    public static func campaignObserveStatusHandOver(leader: String, store: [String], leaderKey: String) async throws {
        let observer = try TestProcess.start(leader, ["observe", "jobs"] + store)
        defer { observer.kill() }
        _ = try await observer.waitForLine { $0.hasPrefix("leader none") }

        let first = try TestProcess.start(leader, ["campaign", "jobs", "first"] + store + ["--ttl", "2", "--id", "first"])
        defer { first.kill() }
        _ = try await first.waitForLine { $0.hasPrefix("elected ") }
        _ = try await observer.waitForLine { $0.hasPrefix("leader ") && $0.contains("value=first") }

        let second = try TestProcess.start(leader, ["campaign", "jobs", "second"] + store + ["--ttl", "2", "--id", "second"])
        defer { second.kill() }
        _ = try await second.waitForLine { $0.hasPrefix("campaigning") }

        let status = try await TestProcess.run(leader, ["status", "jobs"] + store)
        guard status.status == 0, status.output.contains("leader key=\(leaderKey)"), status.output.contains("value=first") else {
            throw TestFailure(
                "leader status should name the first campaign (key \(leaderKey)…) as leader; it printed (exit \(status.status)): \(status.output)"
            )
        }

        first.signal(SIGINT)
        _ = try await first.waitForLine { $0.hasPrefix("resigned") }
        _ = try await second.waitForLine { $0.hasPrefix("elected ") }
        _ = try await observer.waitForLine { $0.hasPrefix("leader ") && $0.contains("value=second") }
    }
}
