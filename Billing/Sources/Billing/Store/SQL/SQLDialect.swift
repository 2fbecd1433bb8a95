/// What differs between the two databases; everything else (tables, statements) is shared.
enum SQLDialect: Sendable {
    case sqlite
    case postgres

    /// Appended to the fence read inside engine transactions. PostgreSQL: a share lock, so that
    /// a new leader raising the fence waits for the old leader's running transactions and they, in
    /// turn, see its token. SQLite: nothing (`BEGIN IMMEDIATE` already holds the file's write lock).
    var fenceReadLock: String {
        switch self {
        case .sqlite: ""
        case .postgres: " FOR SHARE"
        }
    }

    /// Whether the fence check rides on the renewal steps' write statements (data-modifying
    /// `WITH`, see ``SQLLedger``). PostgreSQL: yes, each statement is a network round trip and
    /// the steps are the engine's hot path. SQLite: no such `WITH`, and a statement is a function
    /// call, not a round trip.
    var fencesInWriteStatements: Bool {
        switch self {
        case .sqlite: false
        case .postgres: true
        }
    }

    /// Run first in the migration transaction: PostgreSQL replicas starting together migrate one
    /// after the other (a transaction-scoped advisory lock); SQLite's `BEGIN IMMEDIATE` already does.
    var migrationLock: String? {
        switch self {
        case .sqlite: nil
        case .postgres: "SELECT pg_advisory_xact_lock(7020104116) AS locked"
        }
    }

    /// Adapts a schema statement: SQLite tables are `STRICT` (so that a column holds only its
    /// declared type, as in PostgreSQL), and `STRICT` tables spell 64-bit integers `INTEGER`.
    func schemaStatement(_ sql: String) -> String {
        switch self {
        case .postgres:
            return sql
        case .sqlite:
            var adapted = sql.replacing("BIGINT", with: "INTEGER")
            if adapted.hasPrefix("CREATE TABLE") { adapted += " STRICT" }
            return adapted
        }
    }
}
