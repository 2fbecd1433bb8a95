import LeaderElection
import SQLiteNIO

/// The tables of an election store file and the steps that create and upgrade them.
///
/// The `meta` table's `schema_version` row records which steps a file has had. A later version of
/// this library appends a step; files written by an earlier one are upgraded when opened, and a
/// process that finds a newer version than it knows refuses the file instead of guessing.
enum StoreSchema {
    /// The version this library writes and reads.
    static let currentVersion: Int64 = 1

    /// `steps[n]` upgrades a file from version `n` to `n + 1`; version 0 is a file without tables.
    static let steps: [[String]] = [
        [
            // Named integers: the schema version and the two counters. The counters only ever
            // grow, so lease IDs and fencing tokens are never reused, even after every lease and
            // candidacy row has been deleted.
            """
            CREATE TABLE meta (
                name  TEXT PRIMARY KEY NOT NULL,
                value INTEGER NOT NULL
            ) STRICT
            """,
            "INSERT INTO meta (name, value) VALUES ('schema_version', 0), ('last_lease_id', 0), ('last_token', 0)",
            // One row per live (or not yet reaped) lease. Times are nanoseconds on the host's
            // boot-time clock; a lease was last granted or renewed at `expires_at_ns - ttl_ns`.
            """
            CREATE TABLE leases (
                id            INTEGER PRIMARY KEY NOT NULL,
                ttl_ns        INTEGER NOT NULL CHECK (ttl_ns > 0),
                expires_at_ns INTEGER NOT NULL
            ) STRICT
            """,
            // One row per candidacy; `token` is its fencing token and its place in the election.
            """
            CREATE TABLE candidates (
                token    INTEGER PRIMARY KEY NOT NULL,
                election TEXT NOT NULL,
                key      TEXT NOT NULL UNIQUE,
                lease_id INTEGER NOT NULL,
                value    TEXT NOT NULL
            ) STRICT
            """,
            "CREATE INDEX candidates_by_election ON candidates (election, token)",
            "CREATE INDEX candidates_by_lease ON candidates (lease_id)",
        ]
    ]

    /// Creates or upgrades the schema. Runs inside a write transaction.
    /// - Throws: `ElectionError.Code.invalidStoreData` when the file holds other tables, or a
    ///   schema version newer than this library knows.
    static func prepare(_ transaction: StoreTransaction, path: String) async throws {
        var version = try await storedVersion(transaction, path: path)
        guard version <= currentVersion else {
            throw ElectionError(
                code: .invalidStoreData,
                message:
                    "the election store \(path) has schema version \(version), newer than this library's \(currentVersion); upgrade this program, or use another file"
            )
        }
        while version < currentVersion {
            for statement in steps[Int(version)] {
                try await transaction.execute(statement)
            }
            version += 1
            try await transaction.execute("UPDATE meta SET value = ?1 WHERE name = 'schema_version'", [.integer(SQLiteInt64(version))])
        }
    }

    /// The schema version of the file: 0 when it has no tables yet.
    private static func storedVersion(_ transaction: StoreTransaction, path: String) async throws -> Int64 {
        let tables = try await transaction.rows("SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name")
            .map { try $0.text("name") }
        if tables.isEmpty { return 0 }
        guard tables.contains("meta"),
            let row = try await transaction.rows("SELECT value FROM meta WHERE name = 'schema_version'").first
        else {
            throw ElectionError(
                code: .invalidStoreData,
                message:
                    "\(path) is an SQLite database but not an election store (it has the tables \(tables.joined(separator: ", "))); pass the path of a new file or of an existing election store"
            )
        }
        return try row.integer("value")
    }

    /// Throws unless the file still has the version this process prepared: guards against another
    /// program upgrading or replacing the schema under a running process.
    static func check(_ transaction: StoreTransaction, path: String) async throws {
        let version = try await transaction.rows("SELECT value FROM meta WHERE name = 'schema_version'").first?.integer("value")
        guard version == currentVersion else {
            throw ElectionError(
                code: .invalidStoreData,
                message:
                    "the election store \(path) now has schema version \(version.map(String.init) ?? "none"), not \(currentVersion); it was changed by another program or version, restart this process with a matching version"
            )
        }
    }
}
