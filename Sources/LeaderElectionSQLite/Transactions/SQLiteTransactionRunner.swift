import Logging
import SQLiteNIO
import Synchronization

/// One SQLite connection to a file that several processes of a host share, used one transaction
/// at a time: the election store and the billing store both run their transactions through it.
///
/// Transactions wait for each other on a first-in-first-out lock (one connection per file and
/// process: cheaper than opening one per call, which costs a file open and the pragmas each time).
///
/// While another process holds the file's write lock, the wait happens here, in Swift, not in
/// SQLite's busy handler: SQLiteNIO runs every statement on a small shared thread pool (one thread
/// per core), and a busy handler sleeping there would hold a pool thread, so the lock holder's own
/// next statement (its `COMMIT`) could queue behind the very connections waiting for it. With
/// `busy_timeout = 0` a busy statement fails at once; the transaction is rolled back and retried
/// after a short, growing, cancellable pause, for at most the busy timeout, after which it fails
/// with ``SQLiteTransactionError/Reason/stayedLocked(_:)``.
///
/// Errors are the caller's to word: the runner throws ``SQLiteTransactionError``, SQLiteNIO's
/// `SQLiteError`, `CancellationError` or what the transaction's body threw, and each user maps
/// them to its own error type (naming its kind of store).
public final class SQLiteTransactionRunner: Sendable {
    /// How a transaction starts.
    public enum BeginMode: String, Sendable {
        /// `BEGIN DEFERRED`: a read snapshot taken at the first statement; does not block other
        /// processes.
        case read = "BEGIN DEFERRED"
        /// `BEGIN IMMEDIATE`: takes the file's write lock at once, so writers serialize and what a
        /// transaction checks stays true until it commits.
        case write = "BEGIN IMMEDIATE"
    }

    /// The first pause before retrying a transaction that found the file locked; it doubles on
    /// each retry up to ``longestBusyPause``.
    static let shortestBusyPause: Duration = .microseconds(500)
    /// The longest pause between retries of a transaction that found the file locked.
    static let longestBusyPause: Duration = .milliseconds(10)

    /// The file's path, as given.
    public let path: String
    /// How long a transaction keeps retrying while another process holds the write lock.
    public let busyTimeout: Duration
    private let connection: SQLiteConnection
    private let lock = TransactionLock()
    private let isClosed = Atomic<Bool>(false)

    private init(path: String, connection: SQLiteConnection, busyTimeout: Duration) {
        self.path = path
        self.connection = connection
        self.busyTimeout = busyTimeout
    }

    deinit {
        // `close()` is the orderly way. If the owner forgot, close in the background (the
        // future keeps the connection alive until SQLite has closed it).
        if !isClosed.load(ordering: .acquiring) { _ = connection.close() }
    }

    /// Opens (creating if needed) the file at `path` and switches it to WAL mode with
    /// `synchronous = NORMAL`, then applies `pragmas`.
    /// - Parameters:
    ///   - path: The file.
    ///   - busyTimeout: How long a transaction (and the switch to WAL) keeps retrying while
    ///     another process holds the file's write lock.
    ///   - pragmas: Per-connection settings beyond those, each the text after `PRAGMA`, for
    ///     example `foreign_keys = ON`.
    ///   - logger: Receives SQLiteNIO's connection diagnostics.
    /// - Throws: `SQLiteError` when the file cannot be opened or is not a database,
    ///   ``SQLiteTransactionError`` when it cannot be switched to WAL or stays locked.
    public static func open(
        path: String,
        busyTimeout: Duration,
        pragmas: [String] = [],
        logger: Logger
    ) async throws -> SQLiteTransactionRunner {
        let connection = try await SQLiteConnection.open(storage: .file(path: path), logger: logger)
        let runner = SQLiteTransactionRunner(path: path, connection: connection, busyTimeout: busyTimeout)
        do {
            try await runner.configure(pragmas: pragmas)
        } catch {
            try? await runner.close()
            throw error
        }
        return runner
    }

    /// Sets the connection's pragmas. `journal_mode` is stored in the file; the others are per
    /// connection.
    private func configure(pragmas: [String]) async throws {
        try await lock.withLock {
            // SQLiteNIO installs a busy handler that retries at once, forever, on a pool thread;
            // 0 removes it, and `retryingWhileBusy` waits instead.
            try await execute("PRAGMA busy_timeout = 0")
            let mode = try await retryingWhileBusy {
                try await rows("PRAGMA journal_mode = WAL").first?.column("journal_mode")?.string
            }
            guard mode?.lowercased() == "wal" else {
                throw SQLiteTransactionError(reason: .notWAL(journalMode: mode ?? "unknown"))
            }
            try await execute("PRAGMA synchronous = NORMAL")
            for pragma in pragmas {
                try await execute("PRAGMA \(pragma)")
            }
        }
    }

    /// Runs `body` in one transaction and commits it; rolls back when `body` throws.
    ///
    /// Retries the whole transaction while the file is locked by another process, for at most
    /// ``busyTimeout``. `body` may therefore run more than once; only its last run is committed.
    /// `body` may use the connection only until it returns.
    /// - Throws: `CancellationError`, errors of `body`, `SQLiteError`, or
    ///   ``SQLiteTransactionError`` when the file stayed locked or the runner was closed.
    public func transaction<T>(_ mode: BeginMode, _ body: (SQLiteConnection) async throws -> T) async throws -> T {
        try await lock.withLock {
            try await retryingWhileBusy {
                if isClosed.load(ordering: .acquiring) {
                    throw SQLiteTransactionError(reason: .closed)
                }
                try await execute(mode.rawValue)
                do {
                    let result = try await body(connection)
                    try await endTransaction("COMMIT")
                    return result
                } catch {
                    // Fails harmlessly when SQLite already rolled back on its own.
                    try? await endTransaction("ROLLBACK")
                    throw error
                }
            }
        }
    }

    /// Waits for the running transaction, then closes the connection. Later transactions throw
    /// ``SQLiteTransactionError/Reason/closed``; later calls of this do nothing. Closes even when
    /// the calling task is cancelled.
    public func close() async throws {
        guard isClosed.compareExchange(expected: false, desired: true, ordering: .acquiringAndReleasing).exchanged else { return }
        try await lock.withLock(cancellable: false) {
            // Like `endTransaction`: a service's run() may close while its task is cancelled.
            try await Task { try await self.connection.close() }.value
        }
    }

    /// Whether `error` means another connection holds a lock that waiting may release.
    static func isBusy(_ error: SQLiteError) -> Bool {
        switch error.reason {
        case .busy, .busyInRecovery, .busyInSnapshot, .busyTimeout: true
        default: false
        }
    }

    /// Runs `COMMIT` or `ROLLBACK` even when the calling task is cancelled. SQLiteNIO skips the
    /// statements of a cancelled task; a skipped `ROLLBACK` would leave the transaction open and
    /// the file's write lock held by this process for good (every other process then fails with
    /// "stayed locked"). Awaited at once: it never outlives this call.
    private func endTransaction(_ statement: String) async throws {
        try await Task { try await self.execute(statement) }.value
    }

    /// Runs `attempt` until it does not fail with SQLITE_BUSY, ``busyTimeout`` passes, or the
    /// task is cancelled. Call with the lock held.
    private func retryingWhileBusy<T>(_ attempt: () async throws -> T) async throws -> T {
        let clock = ContinuousClock()
        let deadline = clock.now + busyTimeout
        var pause = Self.shortestBusyPause
        while true {
            try Task.checkCancellation()
            do {
                return try await attempt()
            } catch let error as SQLiteError where Self.isBusy(error) {
                let now = clock.now
                guard now < deadline else {
                    throw SQLiteTransactionError(reason: .stayedLocked(busyTimeout), cause: error)
                }
                try await Task.sleep(until: min(now + pause, deadline), clock: clock)
                pause = min(pause * 2, Self.longestBusyPause)
            }
        }
    }

    private func execute(_ sql: String) async throws {
        try await connection.query(sql, []) { _ in }
    }

    private func rows(_ sql: String) async throws -> [SQLiteRow] {
        let collected = Mutex<[SQLiteRow]>([])
        try await connection.query(sql, []) { row in collected.withLock { $0.append(row) } }
        return collected.withLock { $0 }
    }
}
