import LeaderElection
import Logging

/// The connection to an election store file: an ``SQLiteTransactionRunner`` whose failures
/// become `ElectionError`s naming the file, and whose file holds the election schema.
final class StoreConnection: Sendable {
    /// The file's path, as given.
    var path: String { runner.path }
    private let runner: SQLiteTransactionRunner

    private init(runner: SQLiteTransactionRunner) {
        self.runner = runner
    }

    /// Opens (creating if needed) the file at `path`, switches it to WAL and prepares the schema.
    static func open(path: String, busyTimeout: Duration, logger: Logger) async throws -> StoreConnection {
        let runner: SQLiteTransactionRunner
        do {
            runner = try await SQLiteTransactionRunner.open(path: path, busyTimeout: busyTimeout, logger: logger)
        } catch {
            throw StoreErrors.map(error, path: path, during: "opening")
        }
        let store = StoreConnection(runner: runner)
        do {
            try await store.transaction(.write) { transaction in
                try await StoreSchema.prepare(transaction, path: path)
            }
        } catch {
            try? await runner.close()
            throw StoreErrors.map(error, path: path, during: "opening")
        }
        return store
    }

    /// Runs `body` in one transaction and commits it; rolls back when `body` throws.
    ///
    /// Retries the whole transaction while the file is locked by another process, for at most
    /// the busy timeout. `body` may therefore run more than once; only its last run is committed.
    /// - Throws: `CancellationError`, errors of `body`, or `ElectionError` for SQLite failures.
    func transaction<T>(_ mode: SQLiteTransactionRunner.BeginMode, _ body: (StoreTransaction) async throws -> T) async throws -> T {
        do {
            return try await runner.transaction(mode) { connection in
                try await body(StoreTransaction(connection: connection))
            }
        } catch {
            throw StoreErrors.map(error, path: path, during: "using")
        }
    }

    /// Waits for the running transaction, then closes the connection. Later calls do nothing.
    func close() async throws {
        do {
            try await runner.close()
        } catch {
            throw StoreErrors.map(error, path: path, during: "closing")
        }
    }
}
