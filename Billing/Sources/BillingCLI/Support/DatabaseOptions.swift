import ArgumentParser
import Billing
import Logging

/// `--database URL` (or `$BILLING_DATABASE`) and `--json`, shared by the data subcommands.
struct DatabaseOptions: ParsableArguments {
    @Option(help: "The billing database: sqlite:PATH or postgres://USER:PASSWORD@HOST:PORT/DB ($BILLING_DATABASE).")
    var database: String?

    @Flag(help: "Print JSON instead of text.")
    var json = false

    /// Opens the database, runs `body`, closes it.
    func withStore<T: Sendable>(_ body: (any BillingStore) async throws -> T) async throws -> T {
        let text = try Environment.require(database, "BILLING_DATABASE", flagName: "--database", example: "sqlite:billing.sqlite")
        let url: BillingStoreURL
        do {
            url = try BillingStoreURL(text)
        } catch {
            throw CLIError("--database: \(error.message)")
        }
        var logger = Logger(label: "billing.cli")
        logger.logLevel = .error
        return try await url.withStore(logger: logger, body)
    }
}
