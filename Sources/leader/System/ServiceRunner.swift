import Logging
import ServiceLifecycle
import Synchronization

/// Runs one long-lived `Service` of a subcommand until it finishes, with `SIGTERM` and `SIGINT`
/// triggering graceful shutdown (the service then resigns and returns).
enum ServiceRunner {
    /// Runs `service`; returns when it returns, and rethrows what it throws, even during
    /// graceful shutdown (when a `ServiceGroup` would only log it).
    static func run(_ service: some Service, logger: Logger) async throws {
        let failure = FailureBox()
        let group = ServiceGroup(
            configuration: ServiceGroupConfiguration(
                services: [
                    .init(service: Capturing(service: service, failure: failure), successTerminationBehavior: .gracefullyShutdownGroup)
                ],
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: logger
            )
        )
        do {
            try await group.run()
        } catch {
            if let failure = failure.value { throw failure }
            throw CLIError("the service group stopped unexpectedly (\(error)); this is a bug in leader, please report it")
        }
        if let failure = failure.value { throw failure }
    }
}

/// Runs a service and keeps its error instead of handing it to the group.
private struct Capturing<Wrapped: Service>: Service {
    let service: Wrapped
    let failure: FailureBox

    func run() async throws {
        do {
            try await service.run()
        } catch {
            failure.set(error)
        }
    }
}

/// The error a service ended with.
private final class FailureBox: Sendable {
    private let stored = Mutex<(any Error)?>(nil)
    var value: (any Error)? { stored.withLock { $0 } }
    func set(_ error: any Error) { stored.withLock { $0 = error } }
}
