import Foundation
import LeaderElection
import LeaderElectionPostgres
import Logging
import PostgresNIO
import Testing

/// The PostgreSQL server the tests use: `BILLING_TEST_POSTGRES_URL` (scripts/test.sh starts one
/// with scripts/postgres-test-server.sh). Without it the suites are skipped, unless
/// `BILLING_REQUIRE_POSTGRES` is set (CI), so that a missing server fails instead.
enum PostgresTestServer {
    static let url = ProcessInfo.processInfo.environment["BILLING_TEST_POSTGRES_URL"]

    static var enabled: Bool {
        url != nil || ProcessInfo.processInfo.environment["BILLING_REQUIRE_POSTGRES"] != nil
    }

    static let skipReason = Comment(
        rawValue: "BILLING_TEST_POSTGRES_URL is not set; start a server with: eval \"$(scripts/postgres-test-server.sh start)\"")

    static let logger: Logger = {
        var logger = Logger(label: "postgres-election-tests")
        logger.logLevel = .critical
        return logger
    }()

    /// The server's configuration, with the given waits.
    static func configuration() throws -> PostgresConfiguration {
        guard let url else {
            throw ElectionError(
                code: .invalidConfiguration,
                message: "BILLING_TEST_POSTGRES_URL is not set; start a server with: eval \"$(scripts/postgres-test-server.sh start)\"")
        }
        return try PostgresConfiguration(url: url)
    }

    /// A new, empty database on the test server.
    static func freshDatabase() async throws -> PostgresConfiguration {
        var configuration = try configuration()
        let name = "election_test_\(UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: ""))"
        try await withAdminClient(configuration) { client in
            try await client.query(PostgresQuery(unsafeSQL: "CREATE DATABASE \(name)"), logger: logger)
        }
        configuration.database = name
        return configuration
    }

    /// Terminates every session of `configuration`'s database but the one asking.
    static func terminateSessions(_ configuration: PostgresConfiguration) async throws {
        try await withAdminClient(configuration) { client in
            let rows = try await client.query(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()",
                logger: logger
            )
            for try await _ in rows {}
        }
    }

    @discardableResult
    /// Runs `body` with a plain postgres-nio client on `configuration`'s database.
    static func withAdminClient<T: Sendable>(
        _ configuration: PostgresConfiguration, _ body: (PostgresClient) async throws -> T
    ) async throws -> T {
        let client = PostgresClient(
            configuration: .init(
                host: configuration.host,
                port: configuration.port,
                username: configuration.username,
                password: configuration.password,
                database: configuration.database,
                tls: .disable
            ),
            backgroundLogger: logger
        )
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await client.run() }
            defer { group.cancelAll() }
            return try await body(client)
        }
    }
}
