import Logging
import ServiceLifecycle

/// An ``ElectionBackend`` that starts and stops like every backend of this package: created from
/// its configuration without touching the store, working while ``run()`` runs (beside the
/// elections that use it, in a `ServiceGroup` or inside ``withBackend(configuration:logger:_:)``),
/// and stopped by ``shutdown()``.
public protocol ElectionBackendService: ElectionBackend, Service {
    /// Where the store is and how to use it.
    associatedtype Configuration: Sendable

    /// Creates a backend; connects to nothing yet.
    /// - Throws: ``ElectionError/Code/invalidConfiguration`` for an unusable configuration.
    init(configuration: Configuration, logger: Logger) throws

    /// Keeps the backend's connections (or file) open until cancelled, shut down gracefully
    /// (ServiceLifecycle) or ``shutdown()``, then releases them.
    func run() async throws

    /// Ends ``run()``, or makes it end at once when it has not begun yet.
    func shutdown()

    /// Opens what the backend cannot work without, so that an unusable store (a file that is not
    /// a database, say) is reported before the first operation, whose errors an ``Election``
    /// would take for transient ones and retry. ``withRunning(_:)`` calls it before its body.
    /// The default does nothing: network backends connect on demand.
    func prepare() async throws
}

extension ElectionBackendService {
    /// Does nothing: the backend connects on demand.
    public func prepare() async throws {}

    /// Runs `body` with a backend created from `configuration` whose ``run()`` runs beside it,
    /// and shuts it down afterwards (see ``withRunning(_:)``).
    /// - Throws: ``ElectionError/Code/invalidConfiguration`` for an unusable configuration, or
    ///   what `body` threw.
    public static func withBackend<Result>(
        configuration: Configuration,
        logger: Logger,
        _ body: (Self) async throws -> Result
    ) async throws -> Result {
        try await Self(configuration: configuration, logger: logger).withRunning(body)
    }

    /// Runs `body` with this backend while its ``run()`` runs beside it, then shuts it down and
    /// waits for ``run()`` to release its resources. Calls ``prepare()`` before `body`. For a backend that was not created by
    /// ``withBackend(configuration:logger:_:)``, for example one with an injected clock.
    /// - Throws: what `body` threw, else what ``run()`` threw.
    public func withRunning<Result>(_ body: (Self) async throws -> Result) async throws -> Result {
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await self.run() }
            do {
                try await prepare()
                let result = try await body(self)
                // Waiting rather than cancelling lets run() close what it holds in an orderly
                // way; a shutdown that comes before run() has even begun still ends it.
                shutdown()
                try await group.waitForAll()
                return result
            } catch {
                shutdown()
                group.cancelAll()
                throw error
            }
        }
    }
}
