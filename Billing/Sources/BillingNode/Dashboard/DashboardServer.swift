import Foundation
import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle
import Synchronization

/// Serves the dashboard page and a `/cluster` endpoint whose answer a closure gives: what
/// `billing demo` runs beside its nodes. A ServiceLifecycle `Service`.
public final class DashboardServer: Service, Sendable {
    private let host: String
    private let port: Int
    private let cluster: @Sendable () -> ClusterStatus
    private let logger: Logger
    private let bound = Mutex<Int?>(nil)

    /// Creates a server on `host:port` (port 0 picks a free one) that answers `/cluster` with `cluster()`.
    public init(host: String = "127.0.0.1", port: Int, logger: Logger, cluster: @escaping @Sendable () -> ClusterStatus) {
        self.host = host
        self.port = port
        self.cluster = cluster
        self.logger = logger
    }

    /// The port, once listening.
    public var boundPort: Int? { bound.withLock { $0 } }

    /// Serves until cancelled or gracefully shut down.
    public func run() async throws {
        let router = Router(context: BasicRequestContext.self)
        router.get("/") { _, _ in NodeHTTPServer.html(DashboardPage.html) }
        router.get("/dashboard") { _, _ in NodeHTTPServer.html(DashboardPage.html) }
        router.get("/cluster") { _, _ in try NodeHTTPServer.json(self.cluster()) }
        let application = Application(
            router: router,
            configuration: ApplicationConfiguration(address: .hostname(host, port: port), serverName: "billing-dashboard"),
            onServerRunning: { channel in self.bound.withLock { $0 = channel.localAddress?.port } },
            logger: logger
        )
        try await application.run()
    }
}
