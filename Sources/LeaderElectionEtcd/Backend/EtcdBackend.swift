import Foundation
import LeaderElection
import Logging
import ServiceLifecycle
import Synchronization

/// An `ElectionBackend` on an etcd v3 cluster, interoperable with etcd's own election
/// (`go.etcd.io/etcd/client/v3/concurrency`, `etcdctl elect`): Swift and Go candidates of one
/// election name share one election.
///
/// A candidate is the key `NAME/<lease id in hex>`, created in one transaction guarded by
/// `create_revision == 0` and attached to the candidate's lease; the key with the lowest create
/// revision leads, and that revision is the fencing token. A waiting candidate watches the key
/// just before its own, its own, and (unless its predecessor leads) the leader's; the election's
/// record of its leader, `NAME<NUL>leader`, tells a candidate that finds itself the oldest whether
/// the last leader can still lead (see the module's documentation).
///
/// The backend is a `Service`: its connections and its lease keep-alive stream live while
/// ``run()`` runs (or inside `ElectionBackendService.withBackend(configuration:logger:_:)`).
/// Requests fail over from member to member.
///
/// Not guaranteed: TTLs finer than a second (etcd counts whole seconds, so a TTL is rounded up,
/// and the server raises TTLs below its minimum, about 2 s with default settings); anything
/// while every member is unreachable (requests fail with `ElectionError.Code.storeUnavailable`).
public final class EtcdBackend: ElectionBackendService {
    let client: EtcdClient
    let keepAlive: LeaseKeepAlive
    let logger: Logger
    /// Whether ``shutdown()`` was called; ``run()`` then has nothing to do.
    private let stopped = Atomic<Bool>(false)
    /// Each lease's candidacy key, once it campaigned: what a renewal's confirming read reads
    /// (inside the election's prefix, which a restricted etcd role may be limited to).
    let candidacyKeys = Mutex<[Int64: CandidacyKey]>([:])
    /// Each lease's granted TTL in whole seconds, from its grant: what a leader writes in the
    /// election's ``LeadershipRecord``.
    let grantedTTLs = Mutex<[Int64: Int64]>([:])

    /// The configuration the backend was created with.
    public var configuration: EtcdConfiguration { client.configuration }

    /// Creates a backend; nothing connects before ``run()`` runs and a request is made.
    /// - Throws: `ElectionError.Code.invalidConfiguration` for an unusable configuration.
    public init(configuration: EtcdConfiguration, logger: Logger) throws {
        client = try EtcdClient(configuration: configuration, logger: logger)
        keepAlive = LeaseKeepAlive(client: client)
        self.logger = logger
    }

    /// Maintains the connections and the keep-alive stream until cancelled, shut down gracefully
    /// (ServiceLifecycle) or ``shutdown()``.
    public func run() async throws {
        // gRPC refuses to run a client that was shut down before it ran; for this backend that
        // is simply a run that ends at once.
        guard !stopped.load(ordering: .acquiring) else { return }
        do {
            try await runConnections()
        } catch  where stopped.load(ordering: .acquiring) {
            logger.debug("the etcd connections ended with an error after shutdown", metadata: ["error": "\(error)"])
        }
    }

    private func runConnections() async throws {
        try await withTaskCancellationOrGracefulShutdownHandler {
            try await withThrowingDiscardingTaskGroup { group in
                group.addTask { try await self.client.runConnections() }
                group.addTask { await self.keepAlive.run() }
            }
        } onCancelOrGracefulShutdown: {
            self.shutdown()
        }
    }

    /// Ends ``run()``: lets in-flight requests finish, then closes the connections. Makes
    /// ``run()`` end at once when it has not begun yet.
    public func shutdown() {
        stopped.store(true, ordering: .releasing)
        keepAlive.shutdown()
        client.shutdown()
    }
}
