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

        let status = try await TestProcess.start(leader, ["status", "jobs"] + store).waitForEnd().joined(separator: "\n")
        #expect(status.contains("leader key=jobs/"), "\(status)")
        #expect(status.contains("value=first"), "\(status)")

        first.signal(SIGINT)
        _ = try await first.waitForLine { $0.hasPrefix("resigned") }
        _ = try await second.waitForLine { $0.hasPrefix("elected ") }
        _ = try await observer.waitForLine { $0.hasPrefix("leader ") && $0.contains("value=second") }
    }

    @Test("a URL without a user is refused with the expected form")
    func badURL() async throws {
        let leader = try LeaderBinary.path()
        let output = try await TestProcess.start(leader, ["status", "jobs", "--store", "postgres://db.example/x"]).waitForEnd().joined(separator: "\n")
        #expect(output.contains("expected postgres://USER:PASSWORD@HOST:PORT/DATABASE"), "\(output)")
    }
}
