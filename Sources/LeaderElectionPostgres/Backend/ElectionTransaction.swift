import LeaderElection
import Logging
import PostgresNIO

/// The election operations as SQL, on a connection inside a transaction (READ COMMITTED).
///
/// Times are the server's: `clock_timestamp()` when the statement runs. A lease is live while
/// `expires_at > clock_timestamp()`; writes first reap expired ones (``reapExpiredLeases()``),
/// notifying for each candidacy removed. Only the reaper decides that a lease is dead where it
/// matters for safety (``standing(of:)``); the observers' reads skip expired leases, which is
/// only ever reporting.
struct ElectionTransaction {
    let connection: PostgresConnection
    let logger: Logger

    /// Where a candidacy stands, with what its waiter needs to wait well.
    enum Standing: Equatable {
        /// No live candidacy before it: it leads.
        case leading
        /// The live candidacy just before it, and how long until that one's lease expires.
        case waiting(predecessor: Int64, expiresIn: Duration)
        /// The candidacy no longer exists, or its lease expired.
        case gone
    }

    /// Deletes expired leases and their candidacies.
    func reapExpiredLeases() async throws {
        var dead: [Int64] = []
        // FOR UPDATE waits for a campaign that is attaching a candidacy to one of these leases;
        // the deletes below then run in a later snapshot that sees that candidacy.
        let rows = try await connection.query(
            "SELECT id FROM leader_election_leases WHERE expires_at <= clock_timestamp() ORDER BY id FOR UPDATE",
            logger: logger
        )
        for try await id in rows.decode(Int64.self) { dead.append(id) }
        if !dead.isEmpty { try await deleteLeases(dead) }
    }

    /// Creates a lease that expires `ttlMicroseconds` after now on the server's clock.
    func grantLease(ttlMicroseconds: Int64) async throws -> LeaseID {
        let rows = try await connection.query(
            """
            INSERT INTO leader_election_leases (id, ttl_us, expires_at)
            VALUES (nextval('leader_election_lease_ids'), \(ttlMicroseconds), clock_timestamp() + \(ttlMicroseconds) * interval '1 microsecond')
            RETURNING id
            """,
            logger: logger
        )
        for try await id in rows.decode(Int64.self) { return LeaseID(id) }
        throw ElectionError(code: .invalidStoreData, message: "PostgreSQL returned no id for a new lease")
    }

    /// Moves a live lease's expiry to its TTL after now. Returns false when it is gone or expired.
    func renewLease(_ lease: LeaseID) async throws -> Bool {
        let rows = try await connection.query(
            """
            UPDATE leader_election_leases SET expires_at = clock_timestamp() + ttl_us * interval '1 microsecond'
            WHERE id = \(lease.rawValue) AND expires_at > clock_timestamp()
            RETURNING id
            """,
            logger: logger
        )
        for try await _ in rows.decode(Int64.self) { return true }
        return false
    }

    /// Deletes the leases `ids` and their candidacies, notifying for each candidacy.
    func deleteLeases(_ ids: [Int64]) async throws {
        let rows = try await connection.query(
            """
            WITH gone AS (
                DELETE FROM leader_election_candidates WHERE lease_id = ANY(\(ids)) RETURNING token, election
            )
            SELECT pg_notify('\(unescaped: PostgresSchema.channel)', token::text || ' ' || election) FROM gone
            """,
            logger: logger
        )
        for try await _ in rows {}
        try await connection.query("DELETE FROM leader_election_leases WHERE id = ANY(\(ids))", logger: logger)
    }

    /// Locks `lease` against concurrent reaping or revocation until the transaction ends.
    func lockLease(_ lease: LeaseID) async throws -> Bool {
        let rows = try await connection.query(
            "SELECT id FROM leader_election_leases WHERE id = \(lease.rawValue) FOR UPDATE", logger: logger)
        for try await _ in rows.decode(Int64.self) { return true }
        return false
    }

    /// Returns the lease's candidacy in `election`, creating it with a new token when there is
    /// none; nil when the lease is gone or expired.
    func campaign(election: String, lease: LeaseID, value: String) async throws -> Candidacy? {
        let key = "\(election)/\(lease)"
        // Candidacies of one election are created one at a time, so tokens are committed in the
        // order they were drawn: a later candidacy can never get a smaller token than one that
        // is already visible (a plain sequence alone does not promise that).
        try await connection.query("SELECT pg_advisory_xact_lock(\(PostgresSchema.lockClass), hashtext(\(election)))", logger: logger)
        let existing = try await connection.query(
            "SELECT token, value FROM leader_election_candidates WHERE key = \(key) AND lease_id = \(lease.rawValue)",
            logger: logger
        )
        for try await (token, existingValue) in existing.decode((Int64, String).self) {
            return Candidacy(election: election, key: key, value: existingValue, lease: lease, token: FencingToken(token))
        }
        let inserted = try await connection.query(
            """
            INSERT INTO leader_election_candidates (token, election, key, lease_id, value)
            SELECT nextval('leader_election_tokens'), \(election), \(key), id, \(value)
            FROM leader_election_leases WHERE id = \(lease.rawValue) AND expires_at > clock_timestamp()
            RETURNING token
            """,
            logger: logger
        )
        var token: Int64?
        for try await value in inserted.decode(Int64.self) { token = value }
        guard let token else { return nil }
        try await notify(election: election, token: token)
        return Candidacy(election: election, key: key, value: value, lease: lease, token: FencingToken(token))
    }

    /// Deletes the candidacy; returns whether it existed.
    func resign(_ candidacy: Candidacy) async throws -> Bool {
        let rows = try await connection.query(
            """
            WITH gone AS (
                DELETE FROM leader_election_candidates WHERE key = \(candidacy.key) AND token = \(candidacy.token.rawValue)
                RETURNING token, election
            )
            SELECT pg_notify('\(unescaped: PostgresSchema.channel)', token::text || ' ' || election) FROM gone
            """,
            logger: logger
        )
        var found = false
        for try await _ in rows { found = true }
        return found
    }

    /// The live candidacies of `election`, oldest first, each with the time left on its lease.
    func candidates(election: String, limit: Int = Int(Int32.max)) async throws -> [(Candidacy, Duration)] {
        let rows = try await connection.query(
            """
            SELECT c.token, c.key, c.lease_id, c.value,
                   (extract(epoch FROM l.expires_at - clock_timestamp()) * 1000000)::bigint
            FROM leader_election_candidates c JOIN leader_election_leases l ON l.id = c.lease_id
            WHERE c.election = \(election) AND l.expires_at > clock_timestamp()
            ORDER BY c.token
            LIMIT \(limit)
            """,
            logger: logger
        )
        var result: [(Candidacy, Duration)] = []
        for try await (token, key, lease, value, remaining) in rows.decode((Int64, String, Int64, String, Int64).self) {
            let candidate = Candidacy(election: election, key: key, value: value, lease: LeaseID(lease), token: FencingToken(token))
            result.append((candidate, .microseconds(remaining)))
        }
        return result
    }

    /// Where `candidacy` stands among the candidacies of its election.
    ///
    /// A predecessor counts until the reaper has deleted it, whatever its expiry time says: only
    /// the reaper, which locks the lease row, waits for a renewal that is still committing. A
    /// plain read past the expiry would not see that renewal, and would let this candidacy lead
    /// while the renewal goes on to extend the predecessor's lease. A predecessor that expired
    /// after this transaction's reap is reported with no time left, so the waiter reaps again
    /// at once.
    func standing(of candidacy: Candidacy) async throws -> Standing {
        let rows = try await connection.query(
            """
            SELECT
                coalesce((SELECT l.expires_at > clock_timestamp()
                          FROM leader_election_candidates c JOIN leader_election_leases l ON l.id = c.lease_id
                          WHERE c.key = \(candidacy.key) AND c.token = \(candidacy.token.rawValue)), false),
                p.token,
                (extract(epoch FROM p.expires_at - clock_timestamp()) * 1000000)::bigint
            FROM (SELECT 1) AS one LEFT JOIN LATERAL (
                SELECT c.token, l.expires_at
                FROM leader_election_candidates c JOIN leader_election_leases l ON l.id = c.lease_id
                WHERE c.election = \(candidacy.election) AND c.token < \(candidacy.token.rawValue)
                ORDER BY c.token DESC LIMIT 1
            ) AS p ON true
            """,
            logger: logger
        )
        for try await (present, predecessor, remaining) in rows.decode((Bool, Int64?, Int64?).self) {
            guard present else { return .gone }
            guard let predecessor else { return .leading }
            return .waiting(predecessor: predecessor, expiresIn: .microseconds(remaining ?? 0))
        }
        return .gone
    }

    private func notify(election: String, token: Int64) async throws {
        try await connection.query("SELECT pg_notify('\(unescaped: PostgresSchema.channel)', \("\(token) \(election)"))", logger: logger)
    }
}
