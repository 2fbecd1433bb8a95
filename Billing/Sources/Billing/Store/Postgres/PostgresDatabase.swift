import Logging
import PostgresNIO

/// A pool of PostgreSQL connections to a billing database (postgres-nio's `PostgresClient`).
///
/// Transactions run at PostgreSQL's default isolation, READ COMMITTED; the fence row's share lock
/// and the guarded updates give the engine what it needs (see ``SQLLedger``). A transaction that
/// PostgreSQL aborts as a deadlock or serialization failure, or whose session it ended for
/// sitting idle inside it (a client starved of CPU looks like that), is retried, at most three
/// times.
struct PostgresDatabase: SQLDatabase {
    let dialect = SQLDialect.postgres
    let displayName: String
    let client: PostgresClient
    let logger: Logger

    func transaction<T: Sendable>(_ body: (any SQLConnection) async throws -> T) async throws -> T {
        try await retrying {
            try await client.withTransaction(logger: logger) { connection in
                try await body(PostgresStatementRunner(connection: connection, logger: logger))
            }
        }
    }

    func statement(_ statement: any SQLPreparedText.Type, _ binds: [SQLValue]) async throws -> [SQLRow] {
        try await retrying {
            try await client.withConnection { connection in
                Failpoint.reachAhead()
                return try await PostgresStatementRunner(connection: connection, logger: logger).query(prepared: statement, binds)
            }
        }
    }

    /// Runs `run`, again when PostgreSQL aborted it as retryable, and maps its failure.
    private func retrying<T: Sendable>(_ run: () async throws -> T) async throws -> T {
        var attempt = 0
        while true {
            attempt += 1
            do {
                return try await run()
            } catch {
                let underlying = Self.underlying(error)
                if attempt < 3, let error = underlying as? PSQLError, Self.isRetryable(error) {
                    try Task.checkCancellation()
                    continue
                }
                throw map(underlying)
            }
        }
    }

    /// The error inside postgres-nio's transaction wrapper: the body's, else the commit's, else BEGIN's.
    private static func underlying(_ error: any Error) -> any Error {
        guard let wrapper = error as? PostgresTransactionError else { return error }
        return wrapper.closureError ?? wrapper.commitError ?? wrapper.beginError ?? error
    }

    /// Deadlock detected (40P01), serialization failure (40001), or the session ended while idle
    /// in its transaction (25P03, `idle_in_transaction_session_timeout`: the server had not
    /// received COMMIT): nothing was written; run again, on another connection.
    private static func isRetryable(_ error: PSQLError) -> Bool {
        guard let state = error.serverInfo?[.sqlState] else { return false }
        return state == "40P01" || state == "40001" || state == "25P03"
    }

    /// Maps PostgreSQL failures to ``BillingError``; ``BillingError`` and `CancellationError` pass through.
    private func map(_ error: any Error) -> any Error {
        switch error {
        case is BillingError, is CancellationError:
            return error
        case let error as PSQLError:
            if let message = error.serverInfo?[.message] {
                let state = error.serverInfo?[.sqlState] ?? "?"
                return BillingError.storeUnavailable(
                    "PostgreSQL at \(displayName) refused a billing statement (SQLSTATE \(state)): \(message); retry, and check the server's log if it persists",
                    cause: error)
            }
            return BillingError.storeUnavailable(
                "could not reach PostgreSQL at \(displayName) (\(error.code)); check that the server runs and the URL is right, then retry",
                cause: error)
        default:
            return BillingError.storeUnavailable("PostgreSQL at \(displayName) failed; retry", cause: error)
        }
    }
}
