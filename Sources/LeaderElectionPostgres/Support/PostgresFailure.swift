import LeaderElection
import PostgresNIO

/// Turns postgres-nio's errors into `ElectionError`s that say what to do.
enum PostgresFailure {
    /// The SQLSTATE of a foreign-key violation: a candidacy's lease was deleted meanwhile.
    static let foreignKeyViolation = "23503"

    /// Deadlock detected (40P01) or serialization failure (40001): nothing was written.
    static func isRetryable(_ error: any Error) -> Bool {
        guard let state = sqlState(underlying(error)) else { return false }
        return state == "40P01" || state == "40001"
    }

    /// The SQLSTATE of a server error, if `error` is one.
    static func sqlState(_ error: any Error) -> String? {
        (underlying(error) as? PSQLError)?.serverInfo?[.sqlState]
    }

    /// The error inside postgres-nio's transaction wrapper: the body's, else the commit's, else BEGIN's.
    static func underlying(_ error: any Error) -> any Error {
        guard let wrapper = error as? PostgresTransactionError else { return error }
        return wrapper.closureError ?? wrapper.commitError ?? wrapper.beginError ?? error
    }

    /// Maps `error`; `ElectionError` and `CancellationError` pass through.
    static func map(_ error: any Error, server: String) -> any Error {
        let error = underlying(error)
        switch error {
        case is ElectionError, is CancellationError:
            return error
        case let error as PSQLError:
            if let message = error.serverInfo?[.message] {
                let state = error.serverInfo?[.sqlState] ?? "?"
                return ElectionError.storeUnavailable(
                    "PostgreSQL at \(server) refused an election statement (SQLSTATE \(state)): \(message); check the user's rights on the database and the server's log, then retry",
                    cause: error
                )
            }
            return ElectionError.storeUnavailable(
                "could not reach PostgreSQL at \(server) (\(error.code)); check that the server runs and that the URL's host, port, user and password are right",
                cause: error
            )
        default:
            return ElectionError.storeUnavailable("PostgreSQL at \(server) failed; retry", cause: error)
        }
    }
}
