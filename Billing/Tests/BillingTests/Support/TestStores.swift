import Billing
import Foundation
import Logging
import PostgresNIO
import Testing

/// The databases the store and engine tests run against.
enum StoreKind: String, CaseIterable, CustomTestStringConvertible, Sendable {
    case sqlite
    case postgres

    var testDescription: String { rawValue }

    /// The kinds to test: SQLite always; PostgreSQL when `BILLING_TEST_POSTGRES_URL` names a server
    /// (scripts/postgres-test-server.sh starts one), or always when `BILLING_REQUIRE_POSTGRES` is set
    /// (CI), so that a missing server fails instead of silently skipping.
    static var available: [StoreKind] {
        let environment = ProcessInfo.processInfo.environment
        if environment["BILLING_TEST_POSTGRES_URL"] != nil || environment["BILLING_REQUIRE_POSTGRES"] != nil {
            return [.sqlite, .postgres]
        }
        return [.sqlite]
    }
}

let testLogger: Logger = {
    var logger = Logger(label: "billing-tests")
    logger.logLevel = .critical
    return logger
}()

/// Runs `body` with a new, empty store of `kind`: a fresh SQLite file, or a fresh PostgreSQL database.
func withTestStore<Result: Sendable>(_ kind: StoreKind, _ body: (any BillingStore) async throws -> Result) async throws -> Result {
    switch kind {
    case .sqlite:
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("billing-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let store = try await SQLiteBillingStore.open(path: directory.appendingPathComponent("billing.sqlite").path, logger: testLogger)
        do {
            let result = try await body(store)
            try await store.close()
            return result
        } catch {
            try? await store.close()
            throw error
        }
    case .postgres:
        let configuration = try await PostgresTestDatabase.create()
        return try await PostgresBillingStore.withStore(configuration: configuration, logger: testLogger) { try await body($0) }
    }
}

/// Creates one database per test on the server of `BILLING_TEST_POSTGRES_URL`.
enum PostgresTestDatabase {
    static func serverConfiguration() throws -> PostgresBillingStore.Configuration {
        guard let url = ProcessInfo.processInfo.environment["BILLING_TEST_POSTGRES_URL"] else {
            throw BillingError(
                code: .invalidConfiguration,
                message: "BILLING_TEST_POSTGRES_URL is not set; start a server with: eval \"$(scripts/postgres-test-server.sh start)\"")
        }
        return try PostgresBillingStore.Configuration(url: url)
    }

    /// A new, empty database on the test server.
    static func create() async throws -> PostgresBillingStore.Configuration {
        var configuration = try serverConfiguration()
        let name = "billing_test_\(UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: ""))"
        let client = PostgresClient(
            configuration: .init(
                host: configuration.host, port: configuration.port, username: configuration.username, password: configuration.password,
                database: configuration.database, tls: .disable),
            backgroundLogger: testLogger
        )
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await client.run() }
            defer { group.cancelAll() }
            try await client.query(PostgresQuery(unsafeSQL: "CREATE DATABASE \(name)"), logger: testLogger)
        }
        configuration.database = name
        // Tests run in parallel, each with its own pool: keep the server's connection count low.
        configuration.maximumConnections = 6
        return configuration
    }
}
