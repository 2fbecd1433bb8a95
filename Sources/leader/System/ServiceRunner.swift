import Logging
import ServiceLifecycle

/// Runs one long-lived `Service` of a subcommand until it finishes, with `SIGTERM` and `SIGINT`
/// triggering graceful shutdown (the service then resigns and returns).
enum ServiceRunner {
    /// Runs `service`; returns when it returns, rethrows what it throws.
    static func run(_ service: some Service, logger: Logger) async throws {
        let group = ServiceGroup(
            configuration: ServiceGroupConfiguration(
                services: [.init(service: service, successTerminationBehavior: .gracefullyShutdownGroup)],
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: logger
            )
        )
        do {
            try await group.run()
        } catch let error as ServiceGroupError {
            // The group wraps nothing we throw; this is a lifecycle failure worth one line.
            throw CLIError("the service stopped unexpectedly (\(error)); this is a bug in leader, please report it")
        }
    }
}
