import LeaderElection
import LeaderElectionEtcd
import Synchronization
import TestSupport

/// Backends made while a test runs (for example in a conformance suite's fault hook), each with
/// its ``EtcdBackend/run()`` going until the pool's scope ends, when they are shut down (and
/// their proxies stopped).
///
/// Modelled on the ZooKeeper tests' `BackendPool`, plus backends that reach their members through
/// proxies of their own (``makeProxied(to:)``), so that a test can drop every connection of one
/// backend (``dropConnections(of:)``) as a network fault would, the backend then reconnecting by
/// itself.
final class EtcdBackendPool: Sendable {
    private struct State {
        var made: [EtcdBackend] = []
        /// The proxies of each proxied backend.
        var proxies: [ObjectIdentifier: [HoldingProxy]] = [:]
    }

    private let state = Mutex(State())
    private let (stream, continuation) = AsyncStream.makeStream(of: EtcdBackend.self)

    private init() {}

    /// Runs `body` with a pool; shuts down every backend it made afterwards, whatever happens.
    static func with<T: Sendable>(_ body: (EtcdBackendPool) async throws -> T) async throws -> T {
        let pool = EtcdBackendPool()
        async let running: Void = pool.runEach()
        let result: Result<T, any Error>
        do {
            result = .success(try await body(pool))
        } catch {
            result = .failure(error)
        }
        pool.stop()
        await running
        return try result.get()
    }

    /// A backend for `configuration`, running from now on.
    func make(_ configuration: EtcdConfiguration) throws -> EtcdBackend {
        let backend = try EtcdBackend(configuration: configuration, logger: TestLogger.make())
        state.withLock { $0.made.append(backend) }
        continuation.yield(backend)
        return backend
    }

    /// A backend that reaches each of `members` through a proxy of its own (plaintext members only).
    func makeProxied(to members: [EtcdCluster.Member]) throws -> EtcdBackend {
        var proxies: [HoldingProxy] = []
        do {
            for member in members {
                proxies.append(try HoldingProxy.start(upstreamHost: member.host, upstreamPort: member.clientPort))
            }
            let backend = try make(EtcdConfiguration(endpoints: proxies.map(\.endpoint)))
            state.withLock { $0.proxies[ObjectIdentifier(backend)] = proxies }
            return backend
        } catch {
            for proxy in proxies { proxy.stop() }
            throw error
        }
    }

    /// Closes every connection `backend` (made by ``makeProxied(to:)``) has to its members; it
    /// reconnects by itself. What was in flight on them is lost.
    func dropConnections(of backend: any ElectionBackend) throws {
        let proxies = state.withLock { state -> [HoldingProxy]? in
            (backend as? EtcdBackend).flatMap { state.proxies[ObjectIdentifier($0)] }
        }
        guard let proxies else { throw TestFailure("\(backend) was not made by this pool's makeProxied(to:): its connections cannot be dropped") }
        for proxy in proxies { proxy.cutConnections() }
    }

    private func runEach() async {
        await withTaskGroup(of: Void.self) { group in
            for await backend in stream {
                group.addTask { try? await backend.run() }
            }
        }
    }

    private func stop() {
        continuation.finish()
        let (made, proxies) = state.withLock { ($0.made, Array($0.proxies.values.joined())) }
        // A shutdown before a backend's run() has begun still ends it.
        for backend in made { backend.shutdown() }
        for proxy in proxies { proxy.stop() }
    }
}
