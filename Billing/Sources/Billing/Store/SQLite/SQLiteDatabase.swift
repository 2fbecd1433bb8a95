import LeaderElectionSQLite
import Logging
import SQLiteNIO

/// One SQLite connection to a billing database file: LeaderElectionSQLite's
/// ``SQLiteTransactionRunner`` (the one that the election store uses too), with foreign keys on,
/// every transaction a writer (`BEGIN IMMEDIATE`: writers serialize, so the fence check and the
/// write it guards see the same database), and failures mapped to ``BillingError``.
final class SQLiteDatabase: SQLDatabase {
    let dialect = SQLDialect.sqlite
    let displayName: String
    private let runner: SQLiteTransactionRunner

    private init(path: String, runner: SQLiteTransactionRunner) {
        self.displayName = path
        self.runner = runner
    }

    /// Opens (creating if needed) the file at `path` and switches it to WAL.
    static func open(path: String, busyTimeout: Duration, logger: Logger) async throws -> SQLiteDatabase {
        do {
            let runner = try await SQLiteTransactionRunner.open(
                path: path, busyTimeout: busyTimeout, pragmas: ["foreign_keys = ON"], logger: logger)
            return SQLiteDatabase(path: path, runner: runner)
        } catch {
            throw map(error, path: path, during: "opening")
        }
    }

    func transaction<T: Sendable>(_ body: (any SQLConnection) async throws -> T) async throws -> T {
        do {
            return try await runner.transaction(.write) { connection in
                try await body(SQLiteStatementRunner(connection: connection))
            }
        } catch {
            throw Self.map(error, path: displayName, during: "using")
        }
    }

    /// Waits for the running transaction, then closes the connection. Later calls do nothing.
    func close() async throws {
        do {
            try await runner.close()
        } catch {
            throw Self.map(error, path: displayName, during: "closing")
        }
    }

    /// Maps SQLite failures to ``BillingError``; ``BillingError`` and `CancellationError` pass through.
    private static func map(_ error: any Error, path: String, during activity: String) -> any Error {
        switch error {
        case is BillingError, is CancellationError:
            return error
        case let error as SQLiteTransactionError:
            switch error.reason {
            case .stayedLocked(let timeout):
                return BillingError.storeUnavailable(
                    "the billing store \(path) stayed locked by another process for more than \(timeout); retry, and look for a stuck or stopped process using the file",
                    cause: error.cause
                )
            case .closed:
                return BillingError.storeUnavailable("the billing store \(path) was closed; open it again to use it")
            case .notWAL(let mode):
                return BillingError.storeUnavailable(
                    "the billing store \(path) could not be switched to WAL mode (it stays in '\(mode)' mode); put it on a local filesystem that supports shared memory"
                )
            }
        case let error as SQLiteError:
            switch error.reason {
            case .notADatabase, .corrupt, .corruptIndex:
                return BillingError.invalidStoreData(
                    "\(path) is not a readable SQLite database; move it aside or pass the path of a new file", cause: error)
            case .cantOpen, .cantOpenDirectory, .cantOpenInvalidPath:
                return BillingError.storeUnavailable(
                    "cannot open or create the billing store \(path); check that its directory exists and this user may write it",
                    cause: error)
            case .readOnly, .readonlyDirectory, .permission:
                return BillingError.storeUnavailable(
                    "cannot write to the billing store \(path); check the permissions of the file, its -wal and -shm files and their directory",
                    cause: error)
            case .full:
                return BillingError.storeUnavailable(
                    "the disk holding the billing store \(path) is full; free space and retry", cause: error)
            default:
                return BillingError.storeUnavailable(
                    "SQLite failed while \(activity) the billing store \(path); retry, and check the disk if it persists", cause: error)
            }
        default:
            return BillingError.storeUnavailable("could not reach the billing store \(path) while \(activity) it; retry", cause: error)
        }
    }
}
