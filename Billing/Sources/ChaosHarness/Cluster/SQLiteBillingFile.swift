/// The billing database as an SQLite file that every node opens on one host, read by the harness
/// with Debian's `sqlite3` (waiting up to 10 s for the nodes' write lock).
struct SQLiteBillingFile: BillingDatabase {
    let path: String
    var dialect: WriteAudit.Dialect { .sqlite }
    var server: PostgresInstance? { nil }

    /// `sqlite:PATH`, every node's `--database` and the harness's.
    func url(host: String, port: Int?) -> String { "sqlite:\(path)" }

    @discardableResult
    func query(_ sql: String) throws -> String {
        try Shell.check([
            "/usr/bin/sqlite3", "-batch", "-noheader", "-bail", "-separator", "\t", "-cmd", ".timeout 10000", path,
            "BEGIN IMMEDIATE; \(sql); COMMIT;",
        ])
    }
}
