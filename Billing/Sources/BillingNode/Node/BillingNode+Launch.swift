import Billing
import Logging
import ServiceLifecycle

extension BillingNode {
    /// Opens the stores and the provider client that `configuration` names, runs a node until
    /// SIGTERM or SIGINT, then shuts it down gracefully (engine cancelled, leadership resigned)
    /// and closes the stores.
    /// - Parameters:
    ///   - configuration: The node's configuration.
    ///   - environment: Where provider credentials are read (`STRIPE_API_KEY`, ...).
    ///   - logger: The node's logger.
    ///   - companions: Services that run beside the node; when one returns, the node shuts down gracefully.
    /// - Throws: ``BillingNodeError`` or the stores' errors, each saying what was wrong.
    public static func runUntilShutdown(configuration: Configuration, environment: [String: String], logger: Logger, companions: [any Service] = []) async throws {
        let provider = try configuration.provider.makeClient(baseURL: configuration.providerURL, environment: environment, logger: logger)
        let coordination = try await CoordinationStore.open(configuration.coordination, logger: logger)
        do {
            try await configuration.database.withStore(logger: logger) { store in
                let node = try BillingNode(configuration: configuration, backend: coordination.backend, store: store, provider: provider, logger: logger)
                // The group shuts services down in reverse order: the node resigns while the
                // coordination store's connections are still up.
                var services: [ServiceGroupConfiguration.ServiceConfiguration] = []
                if let service = coordination.service { services.append(.init(service: service)) }
                services.append(.init(service: node, successTerminationBehavior: .gracefullyShutdownGroup))
                for companion in companions {
                    services.append(.init(service: companion, successTerminationBehavior: .gracefullyShutdownGroup))
                }
                let group = ServiceGroup(
                    configuration: ServiceGroupConfiguration(services: services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
                )
                try await group.run()
            }
        } catch {
            await coordination.close()
            throw error
        }
        await coordination.close()
    }
}
