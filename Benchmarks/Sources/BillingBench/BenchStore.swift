import Billing
import Foundation
import Logging
import PostgresNIO

/// Runs `body` with a fresh SQLite file or a fresh PostgreSQL database, open, and its URL; removes it afterwards.
func withBenchStore<T: Sendable>(
    _ store: BenchOptions.Store, options: BenchOptions, logger: Logger, _ body: (any BillingStore, BillingStoreURL) async throws -> T
) async throws -> T {
    switch store {
    case .sqlite:
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("billing-bench-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let url = BillingStoreURL.sqlite(path: directory.appendingPathComponent("billing.sqlite").path)
        return try await url.withStore(logger: logger) { try await body($0, url) }
    case .postgres:
        var configuration = try PostgresBillingStore.Configuration(url: options.postgresURL ?? "")
        let name = "billing_bench_\(UInt32.random(in: 0...UInt32.max))"
        try await administer(configuration, "CREATE DATABASE \(name)", logger: logger)
        configuration.database = name
        configuration.maximumConnections = min(options.concurrency, options.connections)
        let url = BillingStoreURL.postgres(configuration)
        let result = try await url.withStore(logger: logger) { try await body($0, url) }
        var server = configuration
        server.database = "postgres"
        try? await administer(server, "DROP DATABASE \(name)", logger: logger)
        return result
    }
}

private func administer(_ configuration: PostgresBillingStore.Configuration, _ sql: String, logger: Logger) async throws {
    let client = PostgresClient(
        configuration: .init(
            host: configuration.host, port: configuration.port, username: configuration.username,
            password: configuration.password, database: configuration.database, tls: .disable
        ),
        backgroundLogger: logger
    )
    try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask { await client.run() }
        defer { group.cancelAll() }
        try await client.query(PostgresQuery(unsafeSQL: sql), logger: logger)
    }
}
