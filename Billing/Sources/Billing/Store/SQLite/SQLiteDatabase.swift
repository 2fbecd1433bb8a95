import LeaderElection
import LeaderElectionSQLite
import Logging
import SQLiteNIO
import Synchronization

/// One SQLite connection to a billing database file, used one transaction at a time.
///
/// Like the election store (LeaderElectionSQLite): transactions queue on a FIFO lock, and while
/// another process holds the file's write lock the wait happens here, in Swift, with a growing,
/// cancellable pause, not in SQLite's busy handler on SQLiteNIO's shared thread pool (where it would
/// hold a pool thread the lock holder may need for its own `COMMIT`).
final class SQLiteDatabase: SQLDatabase {
    /// The first pause before retrying a transaction that found the file locked; doubles up to ``longestBusyPause``.
    static let shortestBusyPause: Duration = .microseconds(500)
    /// The longest pause between retries of a transaction that found the file locked.
    static let longestBusyPause: Duration = .milliseconds(10)

    let dialect = SQLDialect.sqlite
    let displayName: String
    private let connection: SQLiteConnection
    private let busyTimeout: Duration
    private let lock = TransactionLock()
    private let isClosed = Atomic<Bool>(false)

    private init(path: String, connection: SQLiteConnection, busyTimeout: Duration) {
        self.displayName = path
        self.connection = connection
        self.busyTimeout = busyTimeout
    }

    deinit {
        // `close()` is the orderly way; if the owner forgot, close in the background (the future
        // keeps the connection alive until SQLite has closed it).
        if !isClosed.load(ordering: .acquiring) { _ = connection.close() }
    }

    /// Opens (creating if needed) the file at `path` and switches it to WAL.
    static func open(path: String, busyTimeout: Duration, logger: Logger) async throws -> SQLiteDatabase {
        let connection: SQLiteConnection
        do {
            connection = try await SQLiteConnection.open(storage: .file(path: path), logger: logger)
        } catch {
            throw map(error, path: path, during: "opening")
        }
        let database = SQLiteDatabase(path: path, connection: connection, busyTimeout: busyTimeout)
        do {
            try await database.configure()
        } catch {
            try? await database.close()
            throw map(error, path: path, during: "opening")
        }
        return database
    }

    private func configure() async throws {
        try await lock.withLock {
            // SQLiteNIO's default busy handler retries on a pool thread; 0 removes it.
            _ = try await SQLiteStatementRunner(connection: connection).query("PRAGMA busy_timeout = 0", [])
            let mode = try await retryingWhileBusy {
                try await SQLiteStatementRunner(connection: connection).query("PRAGMA journal_mode = WAL", []).first?.text("journal_mode")
            }
            guard mode?.lowercased() == "wal" else {
                throw BillingError.storeUnavailable(
                    "the billing store \(displayName) could not be switched to WAL mode (it stays in '\(mode ?? "unknown")' mode); put it on a local filesystem that supports shared memory"
                )
            }
            _ = try await SQLiteStatementRunner(connection: connection).query("PRAGMA synchronous = NORMAL", [])
            _ = try await SQLiteStatementRunner(connection: connection).query("PRAGMA foreign_keys = ON", [])
        }
    }

    func transaction<T: Sendable>(_ body: (any SQLConnection) async throws -> T) async throws -> T {
        do {
            return try await lock.withLock {
                try await retryingWhileBusy {
                    guard !isClosed.load(ordering: .acquiring) else {
                        throw BillingError.storeUnavailable("the billing store \(displayName) was closed; open it again to use it")
                    }
                    let runner = SQLiteStatementRunner(connection: connection)
                    // IMMEDIATE: take the write lock at once, so that writers serialize and the
                    // fence check and the write it guards see the same database.
                    _ = try await runner.query("BEGIN IMMEDIATE", [])
                    do {
                        let result = try await body(runner)
                        try await Self.endTransaction("COMMIT", runner)
                        return result
                    } catch {
                        // Fails harmlessly when SQLite already rolled back on its own.
                        try? await Self.endTransaction("ROLLBACK", runner)
                        throw error
                    }
                }
            }
        } catch {
            throw Self.map(error, path: displayName, during: "using")
        }
    }

    /// Runs `COMMIT` or `ROLLBACK` even when the calling task is cancelled. SQLiteNIO skips the
    /// statements of a cancelled task; a skipped `ROLLBACK` would leave the transaction open and
    /// the file's write lock held by this process for good (every other process then fails with
    /// "stayed locked"). The task is awaited at once, so it never outlives this call.
    private static func endTransaction(_ statement: String, _ runner: SQLiteStatementRunner) async throws {
        try await Task { _ = try await runner.query(statement, []) }.value
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
            } catch let error as SQLiteError where Self.isBusy(error) {
                let now = clock.now
                guard now < deadline else {
                    throw BillingError.storeUnavailable(
                        "the billing store \(displayName) stayed locked by another process for more than \(busyTimeout); retry, and look for a stuck or stopped process using the file",
                        cause: error
                    )
                }
                try await Task.sleep(until: min(now + pause, deadline), clock: clock)
                pause = min(pause * 2, Self.longestBusyPause)
            }
        }
    }

    /// Waits for the running transaction, then closes the connection. Later calls do nothing.
    func close() async throws {
        guard isClosed.compareExchange(expected: false, desired: true, ordering: .acquiringAndReleasing).exchanged else { return }
        do {
            try await lock.withLock(cancellable: false) { try await connection.close() }
        } catch {
            throw Self.map(error, path: displayName, during: "closing")
        }
    }

    private static func isBusy(_ error: SQLiteError) -> Bool {
        switch error.reason {
        case .busy, .busyInRecovery, .busyInSnapshot, .busyTimeout: true
        default: false
        }
    }

    /// Maps SQLite failures to ``BillingError``; ``BillingError`` and `CancellationError` pass through.
    private static func map(_ error: any Error, path: String, during activity: String) -> any Error {
        switch error {
        case is BillingError, is CancellationError:
            return error
        case let error as SQLiteError:
            switch error.reason {
            case .notADatabase, .corrupt, .corruptIndex:
                return BillingError.invalidStoreData("\(path) is not a readable SQLite database; move it aside or pass the path of a new file", cause: error)
            case .cantOpen, .cantOpenDirectory, .cantOpenInvalidPath:
                return BillingError.storeUnavailable("cannot open or create the billing store \(path); check that its directory exists and this user may write it", cause: error)
            case .readOnly, .readonlyDirectory, .permission:
                return BillingError.storeUnavailable("cannot write to the billing store \(path); check the permissions of the file, its -wal and -shm files and their directory", cause: error)
            case .full:
                return BillingError.storeUnavailable("the disk holding the billing store \(path) is full; free space and retry", cause: error)
            default:
                return BillingError.storeUnavailable("SQLite failed while \(activity) the billing store \(path); retry, and check the disk if it persists", cause: error)
            }
        default:
            return BillingError.storeUnavailable("could not reach the billing store \(path) while \(activity) it; retry", cause: error)
        }
    }
}
