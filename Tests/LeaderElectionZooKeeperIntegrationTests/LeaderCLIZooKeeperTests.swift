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
                try await LeaderCommandScenarios.campaignObserveStatusHandOver(
                    leader: leader, store: ["--store", "zookeeper://\(ensemble.connectString)"], leaderKey: "/leader-election/jobs/"
                )
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
