import LeaderElectionSQLite
import SQLiteNIO
import Testing

@Suite("SQLite transaction runner", .serialized, .timeLimit(.minutes(1)))
struct SQLiteTransactionRunnerTests {
    @Test(
        "the extra pragmas apply to the connection, a read transaction sees what a write committed, and a closed runner refuses transactions"
    )
    func pragmasModesAndClosing() async throws {
        try await withTemporaryDirectory { directory in
            let runner = try await SQLiteTransactionRunner.open(
                path: directory.file("runner.sqlite"), busyTimeout: .seconds(1), pragmas: ["foreign_keys = ON"], logger: testLogger)
            try await runner.transaction(.write) { connection in
                _ = try await connection.query("CREATE TABLE items (id INTEGER PRIMARY KEY)")
                _ = try await connection.query("INSERT INTO items (id) VALUES (7)")
            }
            let (foreignKeys, ids) = try await runner.transaction(.read) { connection in
                (
                    try await connection.query("PRAGMA foreign_keys").first?.column("foreign_keys")?.integer,
                    try await connection.query("SELECT id FROM items").compactMap { $0.column("id")?.integer }
                )
            }
            #expect(foreignKeys == 1)
            #expect(ids == [7])
            try await runner.close()
            await #expect {
                try await runner.transaction(.read) { _ in }
            } throws: { error in
                (error as? SQLiteTransactionError)?.reason == .closed
            }
        }
    }

    @Test("a body that throws rolls its transaction back")
    func rollback() async throws {
        struct Refused: Error {}
        try await withTemporaryDirectory { directory in
            let runner = try await SQLiteTransactionRunner.open(
                path: directory.file("runner.sqlite"), busyTimeout: .seconds(1), logger: testLogger)
            try await runner.transaction(.write) { _ = try await $0.query("CREATE TABLE items (id INTEGER PRIMARY KEY)") }
            await #expect(throws: Refused.self) {
                try await runner.transaction(.write) { connection in
                    _ = try await connection.query("INSERT INTO items (id) VALUES (1)")
                    throw Refused()
                }
            }
            let count = try await runner.transaction(.read) {
                try await $0.query("SELECT count(*) AS n FROM items").first?.column("n")?.integer
            }
            #expect(count == 0)
            try await runner.close()
        }
    }
}
