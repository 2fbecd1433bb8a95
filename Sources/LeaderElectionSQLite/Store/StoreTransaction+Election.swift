import LeaderElection
import SQLiteNIO

/// The election operations, as SQL on the tables of ``StoreSchema``. `now` is nanoseconds on the
/// host's boot-time clock, read after the transaction's snapshot began.
extension StoreTransaction {
    /// Where a candidacy stands.
    enum Standing: Equatable {
        /// The live candidacy with the smallest token: it leads.
        case leading
        /// Other live candidacies of the election have smaller tokens.
        case waiting
        /// The candidacy no longer exists.
        case gone
    }

    /// The condition for a lease that must be reaped, with `now` bound to `?1`: it expired, or it
    /// was granted or renewed "after" now, which means the host rebooted since (the boot-time
    /// clock restarted from zero) and every process holding it is gone.
    private static let deadLease = "(expires_at_ns <= ?1 OR expires_at_ns - ttl_ns > ?1)"

    private static let candidateColumns = "token, election, key, lease_id, value"

    /// Whether any lease needs reaping.
    func hasDeadLeases(now: Int64) async throws -> Bool {
        try await !rows("SELECT 1 FROM leases WHERE \(Self.deadLease) LIMIT 1", [.integer(SQLiteInt64(now))]).isEmpty
    }

    /// Deletes dead leases and their candidacies. Returns whether a candidacy was deleted.
    func reapDeadLeases(now: Int64) async throws -> Bool {
        let reaped = try await rows("DELETE FROM leases WHERE \(Self.deadLease) RETURNING id", [.integer(SQLiteInt64(now))])
        guard !reaped.isEmpty else { return false }
        return try await !rows("DELETE FROM candidates WHERE lease_id NOT IN (SELECT id FROM leases) RETURNING token").isEmpty
    }

    /// Creates a lease expiring `ttl` nanoseconds after `now`, with an ID never used before.
    func grantLease(ttl: Int64, now: Int64) async throws -> LeaseID {
        let id = try await nextCounterValue("last_lease_id")
        try await execute(
            "INSERT INTO leases (id, ttl_ns, expires_at_ns) VALUES (?1, ?2, ?3)",
            [.integer(SQLiteInt64(id)), .integer(SQLiteInt64(ttl)), .integer(SQLiteInt64(now + ttl))]
        )
        return LeaseID(id)
    }

    /// Moves the lease's expiry to `now` plus its TTL. Returns false when the lease does not exist.
    func renewLease(_ lease: LeaseID, now: Int64) async throws -> Bool {
        try await !rows(
            "UPDATE leases SET expires_at_ns = ?2 + ttl_ns WHERE id = ?1 RETURNING id",
            [.integer(SQLiteInt64(lease.rawValue)), .integer(SQLiteInt64(now))]
        ).isEmpty
    }

    /// Deletes the lease and its candidacies. Returns whether a candidacy was deleted.
    func revokeLease(_ lease: LeaseID) async throws -> Bool {
        try await execute("DELETE FROM leases WHERE id = ?1", [.integer(SQLiteInt64(lease.rawValue))])
        return try await !rows("DELETE FROM candidates WHERE lease_id = ?1 RETURNING token", [.integer(SQLiteInt64(lease.rawValue))])
            .isEmpty
    }

    /// Returns the lease's candidacy in `election`, creating it (with a new token) when there is
    /// none. Returns nil when the lease does not exist.
    func campaign(election: String, lease: LeaseID, value: String) async throws -> (candidacy: Candidacy, created: Bool)? {
        let leaseRows = try await rows("SELECT id FROM leases WHERE id = ?1", [.integer(SQLiteInt64(lease.rawValue))])
        guard !leaseRows.isEmpty else { return nil }
        let key = "\(election)/\(lease)"
        if let existing = try await rows("SELECT \(Self.candidateColumns) FROM candidates WHERE key = ?1", [.text(key)]).first {
            return (try Self.candidate(existing), false)
        }
        let token = try await nextCounterValue("last_token")
        try await execute(
            "INSERT INTO candidates (token, election, key, lease_id, value) VALUES (?1, ?2, ?3, ?4, ?5)",
            [.integer(SQLiteInt64(token)), .text(election), .text(key), .integer(SQLiteInt64(lease.rawValue)), .text(value)]
        )
        return (Candidacy(election: election, key: key, value: value, lease: lease, token: FencingToken(token)), true)
    }

    /// Deletes the candidacy. Returns whether it existed.
    func resign(_ candidacy: Candidacy) async throws -> Bool {
        try await !rows(
            "DELETE FROM candidates WHERE key = ?1 AND token = ?2 RETURNING token",
            [.text(candidacy.key), .integer(SQLiteInt64(candidacy.token.rawValue))]
        ).isEmpty
    }

    /// The candidacies of `election`, oldest first.
    func candidates(election: String) async throws -> [Candidacy] {
        try await rows("SELECT \(Self.candidateColumns) FROM candidates WHERE election = ?1 ORDER BY token", [.text(election)])
            .map(Self.candidate)
    }

    /// The oldest candidacy of `election`.
    func leader(election: String) async throws -> Candidacy? {
        try await rows("SELECT \(Self.candidateColumns) FROM candidates WHERE election = ?1 ORDER BY token LIMIT 1", [.text(election)])
            .first.map(Self.candidate)
    }

    /// Where `candidacy` stands in its election.
    func standing(of candidacy: Candidacy) async throws -> Standing {
        let row = try await rows(
            """
            SELECT EXISTS (SELECT 1 FROM candidates WHERE key = ?1 AND token = ?2) AS present,
                   (SELECT MIN(token) FROM candidates WHERE election = ?3) AS first
            """,
            [.text(candidacy.key), .integer(SQLiteInt64(candidacy.token.rawValue)), .text(candidacy.election)]
        ).first
        guard let row, try row.integer("present") == 1 else { return .gone }
        return try row.integer("first") == candidacy.token.rawValue ? .leading : .waiting
    }

    /// Increments the counter `name` in `meta` and returns its new value.
    private func nextCounterValue(_ name: String) async throws -> Int64 {
        guard let row = try await rows("UPDATE meta SET value = value + 1 WHERE name = ?1 RETURNING value", [.text(name)]).first else {
            throw ElectionError(
                code: .invalidStoreData,
                message: "the election store has no counter '\(name)'; the file was modified by something other than this library")
        }
        return try row.integer("value")
    }

    private static func candidate(_ row: SQLiteRow) throws(ElectionError) -> Candidacy {
        Candidacy(
            election: try row.text("election"),
            key: try row.text("key"),
            value: try row.text("value"),
            lease: LeaseID(try row.integer("lease_id")),
            token: FencingToken(try row.integer("token"))
        )
    }
}
