import Billing
import LeaderElection
import LeaderElectionStores
import Logging
import ServiceLifecycle

extension BillingNode {
    /// Opens the stores and the provider client that `configuration` names, runs a node until
    /// SIGTERM or SIGINT, then shuts it down gracefully (engine cancelled, leadership resigned)
    /// and closes the stores. The coordination store's backend runs as a service of the group.
    /// - Parameters:
    ///   - configuration: The node's configuration.
    ///   - environment: Where provider credentials are read (`STRIPE_API_KEY`, ...).
    ///   - logger: The node's logger.
    ///   - companions: Services that run beside the node; when one returns, the node shuts down gracefully.
    /// - Throws: ``BillingNodeError`` or the stores' errors, each saying what was wrong.
    public static func runUntilShutdown(
        configuration: Configuration, environment: [String: String], logger: Logger, companions: [any Service] = []
    ) async throws {
        let provider = try configuration.provider.makeClient(baseURL: configuration.providerURL, environment: environment, logger: logger)
        let coordination = try coordinationBackend(configuration.coordination, logger: logger)
        var database = configuration.database
        if case .postgres(var settings) = database, settings.applicationName == nil {
            // Names this node's sessions in the database (pg_stat_activity, and the fault
            // harness's record of who wrote what).
            settings.applicationName = configuration.nodeID
            database = .postgres(settings)
        }
        try await database.withStore(logger: logger) { store in
            let node = try BillingNode(
                configuration: configuration, backend: coordination, store: store, provider: provider, logger: logger)
            // Opened (an SQLite file) just before the group runs, which closes it: the node's
            // election would take an unusable store for a transient failure and retry it for good.
            do {
                try await coordination.prepare()
            } catch let error as ElectionError {
                throw BillingNodeError(
                    code: .storeUnavailable, message: "coordination store \(configuration.coordination): \(error.message)", cause: error)
            }
            // The group shuts services down in reverse order: the node resigns while the
            // coordination store's connections (or file) are still open.
            var services: [ServiceGroupConfiguration.ServiceConfiguration] = [.init(service: coordination)]
            services.append(.init(service: node, successTerminationBehavior: .gracefullyShutdownGroup))
            for companion in companions {
                services.append(.init(service: companion, successTerminationBehavior: .gracefullyShutdownGroup))
            }
            let group = ServiceGroup(
                configuration: ServiceGroupConfiguration(services: services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
            )
            try await group.run()
        }
    }

    /// The backend `url` names (see ``ElectionStore``), not yet running.
    /// - Throws: ``BillingNodeError`` saying what is wrong with the URL or the store.
    private static func coordinationBackend(_ url: StoreURL, logger: Logger) throws -> any ElectionBackendService {
        do {
            return try ElectionStore.backend(url: url, logger: logger)
        } catch let error as ElectionError where error.code == .storeUnavailable {
            // Already names the file and the fix (a missing directory).
            throw BillingNodeError(code: .storeUnavailable, message: error.message, cause: error)
        } catch let error as ElectionError {
            throw BillingNodeError(code: .invalidConfiguration, message: "coordination store \(url): \(error.message)", cause: error)
        }
    }
}
