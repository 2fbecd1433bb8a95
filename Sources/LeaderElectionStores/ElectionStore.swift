import LeaderElection
import LeaderElectionEtcd
import LeaderElectionPostgres
import LeaderElectionSQLite
import LeaderElectionZooKeeper
import Logging

/// The one place that turns a store URL into the backend it names, for programs that let their
/// users choose the store (the `leader` command, the billing node).
///
/// Each backend reads its own form of URL (`SQLiteConfiguration/init(url:)`,
/// `EtcdConfiguration/init(url:)`, `PostgresConfiguration/init(url:)`,
/// `ZooKeeperConfiguration/init(url:)`); this only picks the backend by the scheme. To add a
/// backend, add its schemes to ``schemes`` and ``acceptedForms`` and a case to
/// ``backend(url:logger:)``.
public enum ElectionStore {
    /// The URL schemes that name a backend.
    public static let schemes: Set<String> = ["sqlite", "etcd", "etcds", "postgres", "postgresql", "zookeeper"]

    /// The URL forms accepted, for messages.
    public static let acceptedForms =
        "sqlite:PATH (for example sqlite:/var/lib/leader/election.db), etcd://HOST:PORT[,HOST:PORT...] (etcds:// for TLS), postgres://USER:PASSWORD@HOST:PORT/DATABASE or zookeeper://HOST:PORT[,HOST:PORT...]"

    /// The backend `url` names, created but not running: run it (in a `ServiceGroup`, or with
    /// `ElectionBackendService.withRunning(_:)`) while it is used.
    /// - Throws: `ElectionError.Code.invalidStoreURL` for an unknown scheme or a location the
    ///   backend cannot read, `ElectionError.Code.invalidConfiguration` for settings it refuses.
    ///   A store that cannot be used (an SQLite file in a missing directory) is reported when the
    ///   backend opens it, in `prepare()` or `run()`.
    public static func backend(url: StoreURL, logger: Logger) throws -> any ElectionBackendService {
        let text = url.description
        switch url.scheme {
        case "sqlite":
            return try SQLiteBackend(configuration: SQLiteConfiguration(url: text), logger: logger)
        case "etcd", "etcds":
            return try EtcdBackend(configuration: EtcdConfiguration(url: text), logger: logger)
        case "postgres", "postgresql":
            return try PostgresBackend(configuration: PostgresConfiguration(url: text), logger: logger)
        case "zookeeper":
            return try ZooKeeperBackend(configuration: ZooKeeperConfiguration(url: text), logger: logger)
        default:
            throw ElectionError(code: .invalidStoreURL, message: "unknown store scheme '\(url.scheme)' in '\(url)'; use \(acceptedForms)")
        }
    }

    /// Runs `body` with the backend `url` names while the backend runs beside it; shuts it down
    /// afterwards, whatever happens.
    /// - Throws: like ``backend(url:logger:)``, or what `body` or the backend's `run()` threw.
    public static func withBackend<Result>(
        url: StoreURL,
        logger: Logger,
        _ body: (any ElectionBackend) async throws -> Result
    ) async throws -> Result {
        try await running(backend(url: url, logger: logger), body)
    }

    private static func running<Backend: ElectionBackendService, Result>(
        _ backend: Backend,
        _ body: (any ElectionBackend) async throws -> Result
    ) async throws -> Result {
        try await backend.withRunning { try await body($0) }
    }
}
