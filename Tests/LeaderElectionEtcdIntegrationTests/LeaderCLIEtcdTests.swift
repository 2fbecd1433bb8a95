import Glibc
import TestSupport
import Testing

extension EtcdIntegrationTests {
    /// The `leader` CLI with `--store etcd://...`: campaign, observe, status and run.
    @Suite("leader CLI on etcd", .serialized, .timeLimit(.minutes(5)))
    struct LeaderCLIEtcdTests {
        @Test("campaign, observe, status and run share one etcd election")
        func subcommands() async throws {
            let leader = try LeaderBinary.path()
            try await EtcdCluster.with(members: 3) { cluster in
                let store = ["--store", cluster.url]
                let observer = try TestProcess.start(leader, ["observe", "jobs"] + store)
                defer { observer.kill() }
                _ = try await observer.waitForLine { $0.hasPrefix("leader none") }

                let first = try TestProcess.start(leader, ["campaign", "jobs", "first"] + store + ["--ttl", "2", "--id", "first"])
                defer { first.kill() }
                _ = try await first.waitForLine { $0.hasPrefix("elected ") }
                _ = try await observer.waitForLine { $0.hasPrefix("leader ") && $0.contains("value=first") }

                // `run` waits behind the campaign, then runs its command as leader.
                let runner = try TestProcess.start(
                    leader,
                    ["run", "jobs"] + store + ["--ttl", "2", "--id", "runner", "--", "/bin/sh", "-c", "echo running-as-leader; sleep 3600"])
                defer { runner.kill() }
                _ = try await runner.waitForLine { $0.hasPrefix("campaigning") }

                let status = try await TestProcess.run(leader, ["status", "jobs"] + store)
                #expect(status.status == 0)
                #expect(status.output.contains("leader key=jobs/"), "\(status.output)")
                #expect(status.output.contains("value=first"), "\(status.output)")

                first.signal(SIGINT)
                _ = try await first.waitForLine { $0.hasPrefix("resigned") }
                _ = try await runner.waitForLine { $0 == "running-as-leader" }
                _ = try await observer.waitForLine { $0.hasPrefix("leader ") && $0.contains("value=runner") }
                runner.signal(SIGTERM)
                _ = try await runner.waitForExit()
                _ = try await observer.waitForLine { line in
                    // After the runner resigned there is no leader again.
                    observer.output.last { $0.hasPrefix("leader") }?.hasPrefix("leader none") == true && line.hasPrefix("leader none")
                }
            }
        }
    }
}
