import LeaderElectionZooKeeper
import Synchronization

/// Backends made while a test runs (for example in a conformance suite's fault hook), each with
/// its ``ZooKeeperBackend/run()`` going until the pool's scope ends, when they are shut down and
/// their sessions closed.
final class BackendPool: Sendable {
    private let made = Mutex<[ZooKeeperBackend]>([])
    private let (stream, continuation) = AsyncStream.makeStream(of: ZooKeeperBackend.self)

    private init() {}

    /// Runs `body` with a pool; shuts down every backend it made afterwards, whatever happens.
    static func with<T: Sendable>(_ body: (BackendPool) async throws -> T) async throws -> T {
        let pool = BackendPool()
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
    func make(_ configuration: ZooKeeperConfiguration) throws -> ZooKeeperBackend {
        let backend = try ZooKeeperBackend(configuration: configuration, logger: TestLogger.make())
        made.withLock { $0.append(backend) }
        continuation.yield(backend)
        return backend
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
        // A shutdown before a backend's run() has begun still ends it.
        for backend in made.withLock({ $0 }) { backend.shutdown() }
    }
}
