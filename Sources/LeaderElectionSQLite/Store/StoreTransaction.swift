import SQLiteNIO
import Synchronization

/// The connection as seen from inside one transaction of ``StoreConnection``.
///
/// Only exists while the transaction lock is held, so its statements never interleave with
/// another transaction's.
struct StoreTransaction: Sendable {
    let connection: SQLiteConnection

    /// Runs one statement and returns its result rows.
    func rows(_ sql: String, _ binds: [SQLiteData] = []) async throws -> [SQLiteRow] {
        let collected = Mutex<[SQLiteRow]>([])
        try await connection.query(sql, binds) { row in collected.withLock { $0.append(row) } }
        return collected.withLock { $0 }
    }

    /// Runs one statement, discarding any rows.
    func execute(_ sql: String, _ binds: [SQLiteData] = []) async throws {
        try await connection.query(sql, binds) { _ in }
    }
}
