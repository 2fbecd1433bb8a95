import LeaderElection
import Logging
import Synchronization

/// Backends made while a test runs (for example in a conformance suite's fault hook), each with
/// its `run()` going until the pool's scope ends, when they are shut down (a shutdown before a
/// backend's `run()` has begun still ends it).
public final class BackendPool<Backend: ElectionBackendService>: Sendable {
    private let made = Mutex<[Backend]>([])
    private let (stream, continuation) = AsyncStream.makeStream(of: Backend.self)
    private let logger: Logger

    private init(logger: Logger) {
        self.logger = logger
    }

    /// Runs `body` with a pool whose backends log to `logger`; shuts down every backend it made
    /// afterwards, whatever happens.
    public static func with<T: Sendable>(logger: Logger, _ body: (BackendPool) async throws -> T) async throws -> T {
        let pool = BackendPool(logger: logger)
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
    public func make(_ configuration: Backend.Configuration) throws -> Backend {
        let backend = try Backend(configuration: configuration, logger: logger)
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
        for backend in made.withLock({ $0 }) { backend.shutdown() }
    }
}
