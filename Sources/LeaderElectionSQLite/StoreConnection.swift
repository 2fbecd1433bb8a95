import LeaderElection
import Logging
import SQLiteNIO
import Synchronization

/// One SQLite connection to an election store file, used one transaction at a time.
///
/// Transactions wait for each other on a FIFO ``TransactionLock`` (one connection per backend:
/// cheaper than opening one per call, which costs a file open and three pragmas each time).
///
/// While another connection holds the file's write lock, the wait happens here, in Swift, not in
/// SQLite's busy handler: SQLiteNIO runs every statement on a small shared thread pool (one thread
/// per core), and a busy handler sleeping there would hold a pool thread, so the lock holder's own
/// next statement (its `COMMIT`) could queue behind the very connections waiting for it. With
/// `busy_timeout = 0` a busy statement fails at once; the transaction is rolled back and retried
/// after a short, growing, cancellable sleep, for at most `busyTimeout`, after which the operation
/// fails as `ElectionError.Code.storeUnavailable`.
final class StoreConnection: Sendable {
    /// How a transaction starts.
    enum Mode: String, Sendable {
        /// `BEGIN`: a read snapshot taken at the first statement; does not block other processes.
        case read = "BEGIN DEFERRED"
        /// `BEGIN IMMEDIATE`: takes the file's write lock at once, so writers serialize.
        case write = "BEGIN IMMEDIATE"
    }

    /// The first pause before retrying a transaction that found the file locked; it doubles on
    /// each retry up to ``longestBusyPause``.
    static let shortestBusyPause: Duration = .microseconds(500)
    /// The longest pause between retries of a transaction that found the file locked.
    static let longestBusyPause: Duration = .milliseconds(10)

    /// The file's path, as given.
    let path: String
    private let connection: SQLiteConnection
    private let busyTimeout: Duration
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

    /// Opens (creating if needed) the file at `path`, switches it to WAL and prepares the schema.
    static func open(path: String, busyTimeout: Duration, logger: Logger) async throws -> StoreConnection {
        let connection: SQLiteConnection
        do {
            connection = try await SQLiteConnection.open(storage: .file(path: path), logger: logger)
        } catch {
            throw StoreErrors.map(error, path: path, during: "opening")
        }
        let store = StoreConnection(path: path, connection: connection, busyTimeout: busyTimeout)
        do {
            try await store.configure()
            try await store.transaction(.write) { transaction in
                try await StoreSchema.prepare(transaction, path: path)
            }
        } catch {
            try? await store.close()
            throw StoreErrors.map(error, path: path, during: "opening")
        }
        return store
    }

    /// Sets the connection's pragmas. `journal_mode` is stored in the file; the others are per
    /// connection.
    private func configure() async throws {
        try await lock.withLock {
            // SQLiteNIO installs a busy handler that retries at once, forever, on a pool thread;
            // 0 removes it, and `retryingWhileBusy` waits instead.
            try await StoreTransaction(connection: connection).execute("PRAGMA busy_timeout = 0")
            let mode = try await retryingWhileBusy {
                try await StoreTransaction(connection: connection).rows("PRAGMA journal_mode = WAL").first?.text("journal_mode")
            }
            guard mode?.lowercased() == "wal" else {
                throw ElectionError.storeUnavailable(
                    "the election store \(path) could not be switched to WAL mode (it stays in '\(mode ?? "unknown")' mode); put it on a local filesystem that supports shared memory"
                )
            }
            try await StoreTransaction(connection: connection).execute("PRAGMA synchronous = NORMAL")
        }
    }

    /// Runs `body` in one transaction and commits it; rolls back when `body` throws.
    ///
    /// Retries the whole transaction while the file is locked by another process, for at most
    /// `busyTimeout`. `body` may therefore run more than once; only its last run is committed.
    /// - Throws: `CancellationError`, errors of `body`, or `ElectionError` for SQLite failures.
    func transaction<T>(_ mode: Mode, _ body: (StoreTransaction) async throws -> T) async throws -> T {
        do {
            return try await lock.withLock {
                try await retryingWhileBusy {
                    try checkOpen()
                    let transaction = StoreTransaction(connection: connection)
                    try await transaction.execute(mode.rawValue)
                    do {
                        let result = try await body(transaction)
                        try await Self.endTransaction("COMMIT", transaction)
                        return result
                    } catch {
                        // Fails harmlessly when SQLite already rolled back on its own.
                        try? await Self.endTransaction("ROLLBACK", transaction)
                        throw error
                    }
                }
            }
        } catch {
            throw StoreErrors.map(error, path: path, during: "using")
        }
    }

    /// Runs `COMMIT` or `ROLLBACK` even when the calling task is cancelled. SQLiteNIO skips the
    /// statements of a cancelled task; a skipped `ROLLBACK` would leave the transaction open and
    /// the file's write lock held by this process for good. Awaited at once: it never outlives this call.
    private static func endTransaction(_ statement: String, _ transaction: StoreTransaction) async throws {
        try await Task { try await transaction.execute(statement) }.value
    }

    /// Runs `attempt` until it does not fail with SQLITE_BUSY, `busyTimeout` passes, or the task
    /// is cancelled. Call with the lock held.
    private func retryingWhileBusy<T>(_ attempt: () async throws -> T) async throws -> T {
        let clock = ContinuousClock()
        let deadline = clock.now + busyTimeout
        var pause = Self.shortestBusyPause
        while true {
            try Task.checkCancellation()
            do {
                return try await attempt()
            } catch let error as SQLiteError where StoreErrors.isBusy(error) {
                let now = clock.now
                guard now < deadline else {
                    throw ElectionError.storeUnavailable(
                        "the election store \(path) stayed locked by another process for more than \(busyTimeout); retry, and look for a stuck or stopped process using the file",
                        cause: error
                    )
                }
                try await Task.sleep(until: min(now + pause, deadline), clock: clock)
                pause = min(pause * 2, Self.longestBusyPause)
            }
        }
    }

    private func checkOpen() throws(ElectionError) {
        if isClosed.load(ordering: .acquiring) {
            throw ElectionError.storeUnavailable("the election store \(path) was closed; open a new SQLiteBackend to use it again")
        }
    }

    /// Waits for the running transaction, then closes the connection. Later calls do nothing.
    func close() async throws {
        guard isClosed.compareExchange(expected: false, desired: true, ordering: .acquiringAndReleasing).exchanged else { return }
        do {
            try await lock.withLock(cancellable: false) {
                try await connection.close()
            }
        } catch {
            throw StoreErrors.map(error, path: path, during: "closing")
        }
    }
}
