import Glibc
import LeaderElection
import LeaderElectionEtcd
import LeaderElectionPostgres
import LeaderElectionSQLite
import LeaderElectionZooKeeper
import Logging

/// Opens the backend a store URL names: the one place that maps URL schemes to backends.
///
/// To add a backend, add its scheme to ``connect(_:logger:)`` and a function that opens it.
enum StoreConnector {
    /// The URL forms this build accepts, for error messages.
    static let acceptedForms = "sqlite:PATH (for example sqlite:/var/lib/leader/election.db), etcd://HOST:PORT[,HOST:PORT...] (etcds:// for TLS), postgres://USER:PASSWORD@HOST:PORT/DATABASE or zookeeper://HOST:PORT[,HOST:PORT...]"

    /// Opens the store at `url`.
    /// - Throws: ``CLIError`` for an unknown scheme or an unusable location; the backend's
    ///   ``ElectionError`` when the store cannot be opened.
    static func connect(_ url: StoreURL, logger: Logger) async throws -> ConnectedStore {
        switch url.scheme {
        case "sqlite":
            return try await openSQLite(url, logger: logger)
        case "etcd", "etcds":
            return try openEtcd(url, logger: logger)
        case "postgres", "postgresql":
            return try openPostgres(url, logger: logger)
        case "zookeeper":
            return try openZooKeeper(url, logger: logger)
        default:
            throw CLIError("unknown store scheme '\(url.scheme)' in '\(url)'; use \(acceptedForms)")
        }
    }

    private static func openSQLite(_ url: StoreURL, logger: Logger) async throws -> ConnectedStore {
        let path = url.location
        let directory = parentDirectory(of: path)
        var status = stat()
        guard stat(directory, &status) == 0 else {
            throw CLIError("the directory '\(directory)' of the SQLite store '\(path)' does not exist (\(SystemError.lastMessage())); create it (mkdir -p '\(directory)') or pass another path")
        }
        guard status.st_mode & S_IFMT == S_IFDIR else {
            throw CLIError("'\(directory)' in the SQLite store path '\(path)' is not a directory; pass a path inside a directory")
        }
        let backend = try await SQLiteBackend.open(path: path, logger: logger)
        return ConnectedStore(backend: backend, url: url) {
            do {
                try await backend.close()
            } catch {
                logger.warning("closing the SQLite store failed", metadata: ["path": "\(path)", "error": "\(error)"])
            }
        }
    }

    private static func openEtcd(_ url: StoreURL, logger: Logger) throws -> ConnectedStore {
        let backend = try EtcdBackend(url: url, logger: logger)
        return ConnectedStore(backend: backend, url: url, run: { try await backend.run() }, close: { backend.shutdown() })
    }

    private static func openPostgres(_ url: StoreURL, logger: Logger) throws -> ConnectedStore {
        let backend = try PostgresBackend(url: url, logger: logger)
        return ConnectedStore(backend: backend, url: url, run: { try await backend.run() }, close: { backend.shutdown() })
    }

    private static func openZooKeeper(_ url: StoreURL, logger: Logger) throws -> ConnectedStore {
        let backend = try ZooKeeperBackend(url: url, logger: logger)
        return ConnectedStore(backend: backend, url: url, run: { try await backend.run() }, close: { backend.shutdown() })
    }

    /// The directory part of `path` (`.` when it has none).
    static func parentDirectory(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        let directory = path[..<slash]
        return directory.isEmpty ? "/" : String(directory)
    }
}
