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
    func statement(_ statement: any SQLPreparedText.Type, _ binds: [SQLValue]) async throws -> [SQLRow]
}

extension SQLDatabase {
    func statement(_ statement: any SQLPreparedText.Type, _ binds: [SQLValue]) async throws -> [SQLRow] {
        try await transaction { connection in try await connection.query(prepared: statement, binds) }
    }
}

/// The database as seen inside one transaction.
protocol SQLConnection {
    /// Runs one statement with `$1`, `$2`, ... placeholders and returns its rows.
    func query(_ sql: String, _ binds: [SQLValue]) async throws -> [SQLRow]

    /// Runs a statement the store runs often. PostgreSQL parses and plans it once per connection
    /// (a named prepared statement) instead of at every run; SQLite runs ``SQLPreparedText/sql``.
    func query(prepared statement: any SQLPreparedText.Type, _ binds: [SQLValue]) async throws -> [SQLRow]
}

/// The text of a statement the store runs often, one type per statement (postgres-nio prepares
/// statements by type). Sendable so that its type can be passed into the pool's connection
/// closure.
protocol SQLPreparedText: Sendable {
    /// The prepared statement's name: unique among the store's statements, and short, because
    /// PostgreSQL cuts names at 63 bytes (longer ones that begin alike would collide).
    static var name: String { get }
    /// The statement, with `$1`, `$2`, ... placeholders.
    static var sql: String { get }
}

extension SQLConnection {
    func query(prepared statement: any SQLPreparedText.Type, _ binds: [SQLValue]) async throws -> [SQLRow] {
        try await query(statement.sql, binds)
    }

    /// Runs one statement without binds.
    func query(_ sql: String) async throws -> [SQLRow] { try await query(sql, []) }
}
