/// A connection (or pool) to one billing database, as the shared store code needs it.
protocol SQLDatabase: Sendable {
    /// Which database this is.
    var dialect: SQLDialect { get }
    /// How to name the database in messages (a path, or host and database name; never a password).
    var displayName: String { get }

    /// Runs `body` in one transaction and commits it; rolls back when `body` throws.
    /// `body` may run more than once when the database asks for a retry; only its last run commits.
    /// - Throws: errors of `body`, `CancellationError`, or ``BillingError`` for database failures.
    func transaction<T: Sendable>(_ body: (any SQLConnection) async throws -> T) async throws -> T

    /// Runs one statement as a transaction of its own: committed when it succeeds, nothing written
    /// when it fails, as if in ``transaction(_:)``. PostgreSQL runs a statement sent outside
    /// BEGIN that way by itself, which saves the round trips of BEGIN and COMMIT.
    /// - Throws: like ``transaction(_:)``.
    func statement(_ sql: String, _ binds: [SQLValue]) async throws -> [SQLRow]
}

extension SQLDatabase {
    func statement(_ sql: String, _ binds: [SQLValue]) async throws -> [SQLRow] {
        try await transaction { connection in try await connection.query(sql, binds) }
    }
}

/// The database as seen inside one transaction.
protocol SQLConnection {
    /// Runs one statement with `$1`, `$2`, ... placeholders and returns its rows.
    func query(_ sql: String, _ binds: [SQLValue]) async throws -> [SQLRow]
}

extension SQLConnection {
    /// Runs one statement without binds.
    func query(_ sql: String) async throws -> [SQLRow] { try await query(sql, []) }
}
