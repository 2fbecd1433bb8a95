import LeaderElection
import Logging
import PostgresNIO

/// The election tables, created and upgraded by numbered migrations when a backend starts.
///
/// - `leader_election_leases`: a lease's id (from a sequence), its TTL, and when it expires on
///   the **server's** clock (`clock_timestamp()`); no client clock is ever written.
/// - `leader_election_candidates`: a candidacy's token (from a sequence: the fencing token),
///   election, key, lease and value. The lease reference has no cascade on purpose: deletions
///   are explicit so that each one sends its notification.
/// - `leader_election_schema`: the migrations applied.
///
/// Processes starting together serialize their migrations on a transaction-scoped advisory
/// lock (an advisory lock here, never for the election itself).
enum PostgresSchema {
    /// The newest schema version this code knows.
    static let currentVersion = 1

    /// The advisory-lock class of this library (`'LE'`); the second key names the resource.
    static let lockClass: Int32 = 0x4C45

    /// The notification channel of every election.
    static let channel = "leader_election"

    private static let migrations: [Int: [PostgresQuery]] = [
        1: [
            "CREATE SEQUENCE leader_election_lease_ids",
            "CREATE SEQUENCE leader_election_tokens",
            """
            CREATE TABLE leader_election_leases (
                id bigint PRIMARY KEY,
                ttl_us bigint NOT NULL CHECK (ttl_us > 0),
                expires_at timestamptz NOT NULL
            )
            """,
            "CREATE INDEX leader_election_leases_expiry ON leader_election_leases (expires_at)",
            """
            CREATE TABLE leader_election_candidates (
                token bigint PRIMARY KEY,
                election text NOT NULL,
                key text NOT NULL UNIQUE,
                lease_id bigint NOT NULL REFERENCES leader_election_leases (id),
                value text NOT NULL
            )
            """,
            "CREATE INDEX leader_election_candidates_order ON leader_election_candidates (election, token)",
            "CREATE INDEX leader_election_candidates_lease ON leader_election_candidates (lease_id)",
        ]
    ]

    /// Creates or upgrades the schema.
    /// - Throws: `ElectionError.Code.invalidStoreData` when the database was upgraded by a
    ///   newer version of this library.
    static func migrate(_ connection: PostgresConnection, server: String, logger: Logger) async throws {
        try await connection.query("SELECT pg_advisory_xact_lock(\(lockClass), 0)", logger: logger)
        try await connection.query(
            """
            CREATE TABLE IF NOT EXISTS leader_election_schema (
                version integer PRIMARY KEY,
                applied_at timestamptz NOT NULL DEFAULT clock_timestamp()
            )
            """,
            logger: logger
        )
        var applied = 0
        for try await version in try await connection.query("SELECT coalesce(max(version), 0) FROM leader_election_schema", logger: logger)
            .decode(Int.self)
        {
            applied = version
        }
        guard applied <= currentVersion else {
            throw ElectionError(
                code: .invalidStoreData,
                message:
                    "the election tables in PostgreSQL at \(server) have schema version \(applied), newer than this program's \(currentVersion); upgrade this program"
            )
        }
        for version in (applied + 1)..<(currentVersion + 1) {
            for statement in migrations[version] ?? [] {
                try await connection.query(statement, logger: logger)
            }
            try await connection.query("INSERT INTO leader_election_schema (version) VALUES (\(version))", logger: logger)
            logger.info("election schema migrated", metadata: ["version": "\(version)", "server": "\(server)"])
        }
    }
}
