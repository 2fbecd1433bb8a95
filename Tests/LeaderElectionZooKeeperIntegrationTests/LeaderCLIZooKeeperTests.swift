import ChildProcesses
import Glibc
import TestSupport
import Testing

extension ZooKeeperIntegrationTests {
    /// The `leader` CLI with `--store zookeeper://...`: campaign, observe, status, and a kazoo
    /// candidate in the same election.
    @Suite("leader CLI on ZooKeeper", .serialized, .timeLimit(.minutes(5)))
    struct LeaderCLIZooKeeperTests {
        @Test("campaign, observe and status share one ZooKeeper election; SIGINT hands over at once")
        func subcommands() async throws {
            let leader = try LeaderBinary.path()
            try await ZooKeeperEnsemble.with(servers: 3) { ensemble in
                let store = ["--store", "zookeeper://\(ensemble.connectString)"]
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

                let status = try await runToEnd(leader, ["status", "jobs"] + store)
                #expect(status.contains("leader key=/leader-election/jobs/"), "\(status)")
                #expect(status.contains("value=first"), "\(status)")

                first.signal(SIGINT)
                _ = try await first.waitForLine { $0.hasPrefix("resigned") }
                _ = try await second.waitForLine { $0.hasPrefix("elected ") }
                _ = try await observer.waitForLine { $0.hasPrefix("leader ") && $0.contains("value=second") }
            }
        }

        @Test("an unreachable ZooKeeper is reported with what to check")
        func unreachable() async throws {
            let leader = try LeaderBinary.path()
            let port = try FreePort.pick()
            let output = try await runToEnd(leader, ["status", "jobs", "--store", "zookeeper://127.0.0.1:\(port)"])
            #expect(output.contains("127.0.0.1:\(port)"), "\(output)")
            #expect(output.contains("check that the servers run"), "\(output)")
        }

        private func runToEnd(_ binary: String, _ arguments: [String]) async throws -> String {
            let process = try TestProcess.start(binary, arguments)
            return try await process.waitForEnd().joined(separator: "\n")
        }
    }
}
