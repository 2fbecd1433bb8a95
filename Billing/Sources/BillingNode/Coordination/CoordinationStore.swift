import Glibc
import LeaderElection
import LeaderElectionEtcd
import LeaderElectionPostgres
import LeaderElectionSQLite
import LeaderElectionZooKeeper
import Logging
import ServiceLifecycle

/// The election backend a coordination URL names, with what keeps it running and closes it.
///
/// `sqlite:PATH` opens the embedded store (the processes of one host); `etcd://` and `etcds://`
/// the etcd client, `postgres://` and `zookeeper://` theirs: each of those three keeps its
/// connections in a `Service` that must run beside the election.
public struct CoordinationStore: Sendable {
    /// The backend.
    public let backend: any ElectionBackend
    /// The service that keeps the backend's connections alive, if it has one.
    public let service: (any Service)?
    private let closeBody: @Sendable () async -> Void

    /// Opens the store at `url`.
    /// - Throws: ``BillingNodeError`` saying what is wrong with the URL or the store.
    public static func open(_ url: StoreURL, logger: Logger) async throws -> CoordinationStore {
        switch url.scheme {
        case "sqlite":
            let path = url.location
            let directory = path.lastIndex(of: "/").map { String(path[..<$0]) }.map { $0.isEmpty ? "/" : $0 } ?? "."
            var status = stat()
            guard stat(directory, &status) == 0, status.st_mode & S_IFMT == S_IFDIR else {
                throw BillingNodeError(code: .storeUnavailable, message: "the directory '\(directory)' of the coordination store '\(path)' does not exist; create it or pass another --coordination sqlite:PATH")
            }
            do {
                let backend = try await SQLiteBackend.open(path: path, logger: logger)
                return CoordinationStore(backend: backend, service: nil) { try? await backend.close() }
            } catch let error as ElectionError {
                throw BillingNodeError(code: .storeUnavailable, message: "coordination store \(url): \(error.message)", cause: error)
            }
        case "etcd", "etcds", "postgres", "postgresql", "zookeeper":
            do {
                switch url.scheme {
                case "etcd", "etcds":
                    let backend = try EtcdBackend(url: url, logger: logger)
                    return CoordinationStore(backend: backend, service: backend) { backend.shutdown() }
                case "zookeeper":
                    let backend = try ZooKeeperBackend(url: url, logger: logger)
                    return CoordinationStore(backend: backend, service: backend) { backend.shutdown() }
                default:
                    let backend = try PostgresBackend(url: url, logger: logger)
                    return CoordinationStore(backend: backend, service: backend) { backend.shutdown() }
                }
            } catch let error as ElectionError {
                throw BillingNodeError(code: .invalidConfiguration, message: "coordination store \(url): \(error.message)", cause: error)
            }
        default:
            throw BillingNodeError(
                code: .invalidConfiguration,
                message: "unknown coordination store '\(url)'; use sqlite:PATH (one host), etcd://HOST:PORT[,HOST:PORT...] (etcds:// for TLS), postgres://USER:PASSWORD@HOST:PORT/DATABASE or zookeeper://HOST:PORT[,HOST:PORT...]"
            )
        }
    }

    /// Releases the store. Call once, after the last use.
    public func close() async { await closeBody() }
}
