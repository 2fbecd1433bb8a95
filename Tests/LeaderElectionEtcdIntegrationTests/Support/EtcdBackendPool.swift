import LeaderElection
import LeaderElectionEtcd
import Synchronization
import TestSupport

/// The shared `BackendPool` for etcd, plus backends that reach their members through proxies of
/// their own (``makeProxied(to:)``), so that a test can drop every connection of one backend
/// (``dropConnections(of:)``) as a network fault would, the backend then reconnecting by itself.
final class EtcdBackendPool: Sendable {
    private let pool: BackendPool<EtcdBackend>
    /// The proxies of each proxied backend.
    private let proxies = Mutex<[ObjectIdentifier: [HoldingProxy]]>([:])

    private init(pool: BackendPool<EtcdBackend>) {
        self.pool = pool
    }

    /// Runs `body` with a pool; shuts down every backend it made, and stops their proxies,
    /// afterwards, whatever happens.
    static func with<T: Sendable>(_ body: (EtcdBackendPool) async throws -> T) async throws -> T {
        let made = Locked<EtcdBackendPool?>(nil)
        defer {
            for proxy in made.value?.proxies.withLock({ Array($0.values.joined()) }) ?? [] { proxy.stop() }
        }
        return try await BackendPool<EtcdBackend>.with(logger: TestLogger.make()) { pool in
            let etcdPool = EtcdBackendPool(pool: pool)
            made.withLock { $0 = etcdPool }
            return try await body(etcdPool)
        }
    }

    /// A backend for `configuration`, running from now on.
    func make(_ configuration: EtcdConfiguration) throws -> EtcdBackend {
        try pool.make(configuration)
    }

    /// A backend that reaches each of `members` through a proxy of its own (plaintext members only).
    func makeProxied(to members: [EtcdCluster.Member]) throws -> EtcdBackend {
        var started: [HoldingProxy] = []
        do {
            for member in members {
                started.append(try HoldingProxy.start(upstreamHost: member.host, upstreamPort: member.clientPort))
            }
            let backend = try make(EtcdConfiguration(endpoints: started.map(\.endpoint)))
            proxies.withLock { $0[ObjectIdentifier(backend)] = started }
            return backend
        } catch {
            for proxy in started { proxy.stop() }
            throw error
        }
    }

    /// Closes every connection `backend` (made by ``makeProxied(to:)``) has to its members; it
    /// reconnects by itself. What was in flight on them is lost.
    func dropConnections(of backend: any ElectionBackend) throws {
        let found = proxies.withLock { proxies -> [HoldingProxy]? in
            (backend as? EtcdBackend).flatMap { proxies[ObjectIdentifier($0)] }
        }
        guard let found else {
            throw TestFailure("\(backend) was not made by this pool's makeProxied(to:): its connections cannot be dropped")
        }
        for proxy in found { proxy.cutConnections() }
    }
}
