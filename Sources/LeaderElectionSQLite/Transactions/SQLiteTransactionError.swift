import SQLiteNIO

/// Why ``SQLiteTransactionRunner`` could not run a transaction, apart from SQLite's own errors.
///
/// Carries no message: each user words it for its own kind of store and maps it to its own
/// error type.
public struct SQLiteTransactionError: Error, Sendable, CustomStringConvertible {
    /// What went wrong.
    public enum Reason: Sendable, Hashable {
        /// Another process held the file's write lock for longer than the busy timeout given.
        case stayedLocked(Duration)
        /// The runner was closed before the transaction began.
        case closed
        /// The file could not be switched to WAL mode; it stays in the journal mode given
        /// (typically on a filesystem without shared memory).
        case notWAL(journalMode: String)
    }

    /// What went wrong.
    public var reason: Reason
    /// The last SQLite error seen, if any.
    public var cause: SQLiteError?

    /// Creates an error.
    public init(reason: Reason, cause: SQLiteError? = nil) {
        self.reason = reason
        self.cause = cause
    }

    public var description: String {
        switch reason {
        case .stayedLocked(let timeout): "the SQLite file stayed locked by another process for more than \(timeout)"
        case .closed: "the SQLite connection was closed"
        case .notWAL(let mode): "the SQLite file could not be switched to WAL mode (it stays in '\(mode)' mode)"
        }
    }
}
