/// The billing database as the harness reads it: a PostgreSQL server it runs
/// (``PostgresInstance``), or an SQLite file the nodes share on one host (``SQLiteBillingFile``).
protocol BillingDatabase: Sendable {
    /// Which SQL the harness speaks to it (its write audit's triggers differ).
    var dialect: WriteAudit.Dialect { get }
    /// Runs `sql` as one transaction and returns its rows, one per line, fields separated by tabs
    /// (NULL as an empty field).
    @discardableResult
    func query(_ sql: String) throws -> String
    /// The server process, which the database faults stop, kill and partition; nil for a file.
    var server: PostgresInstance? { get }
    /// The `--database` URL a client uses at `host` (and `port`, a proxy's, when it is not the
    /// server's own); a file's URL names no host.
    func url(host: String, port: Int?) -> String
}

extension PostgresInstance: BillingDatabase {
    var dialect: WriteAudit.Dialect { .postgres }
    var server: PostgresInstance? { self }
}
