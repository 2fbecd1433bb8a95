import Glibc
import LeaderElection
import TestSupport
import Testing

/// The `leader` CLI with `--store postgres://...`.
@Suite(
    "leader CLI on PostgreSQL",
    .serialized,
    .timeLimit(.minutes(5)),
    .enabled(if: PostgresTestServer.enabled, PostgresTestServer.skipReason)
)
struct LeaderCLIPostgresTests {
    @Test("campaign, observe and status share one election; SIGINT hands over at once")
    func subcommands() async throws {
        let leader = try LeaderBinary.path()
        let configuration = try await PostgresTestServer.freshDatabase()
        let url = try #require(PostgresTestServer.url)
        // The same server and credentials, on the fresh database.
        let store = ["--store", String(url[..<url.lastIndex(of: "/")!]) + "/" + configuration.database!]
        try await LeaderCommandScenarios.campaignObserveStatusHandOver(leader: leader, store: store, leaderKey: "jobs/")
    }

    @Test("a URL without a user is refused with the expected form")
    func badURL() async throws {
        let leader = try LeaderBinary.path()
        let output = try await TestProcess.start(leader, ["status", "jobs", "--store", "postgres://db.example/x"]).waitForEnd().joined(
            separator: "\n")
        #expect(output.contains("expected postgres://USER:PASSWORD@HOST:PORT/DATABASE"), "\(output)")
    }
}
