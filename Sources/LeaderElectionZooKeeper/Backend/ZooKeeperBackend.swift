import LeaderElection
import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle
import Synchronization

/// An `ElectionBackend` on a ZooKeeper ensemble (`--store zookeeper://HOST:PORT[,HOST:PORT...]`),
/// through a native client of ZooKeeper's protocol on SwiftNIO.
///
/// **A lease is a ZooKeeper session.** ``grantLease(ttl:)`` opens a session of its own (its
/// timeout: the TTL plus ``ZooKeeperConfiguration/sessionTimeoutAllowance``), and only
/// ``renewLease(_:)`` keeps it alive, with a `sync` that the ensemble's *leader* must answer: the
/// answer proves that the leader had not expired the session after the renewal was sent, and it is
/// the acknowledged renewal from which `Election` counts its local deadline, so a candidate
/// stops leading before the ensemble can expire the session, and a stopped process's session does
/// expire. (A ping would not do: the server a session is connected to answers it on its own, and a
/// server cut off from the rest of the ensemble keeps answering for `syncLimit` ticks while the
/// others expire the session and elect another candidate.) When a connection breaks, the session
/// moves to another server of the ensemble within its timeout; when the ensemble says it expired,
/// the lease is gone (`ElectionError.Code.leaseExpired`), and so it is when a server the session
/// moves to grants it a timeout shorter than the TTL (the session is then closed).
///
/// **Elections follow kazoo's recipe** (`kazoo.recipe.election.Election`, built on its `Lock`): a
/// candidate is the ephemeral sequential znode `PATH/<uuid>__lock__<sequence>` holding the
/// candidate's value, the lowest sequence leads, and each waiter watches only the znode just
/// before its own. Python candidates and Swift candidates share one election. The path is the
/// election name when it begins with `/`, else ``ZooKeeperConfiguration/root``/NAME. The fencing
/// token is the znode's creation zxid (`czxid`), which increases across all znodes of the ensemble.
///
/// The backend is a `Service`: ``run()`` keeps its own observer session alive (used to read and
/// observe elections); use it inside `ElectionBackendService.withBackend(configuration:logger:_:)` or a service group.
///
/// Not guaranteed: revoking a lease that another process holds only deletes its candidacies in
/// the elections this backend has used (ZooKeeper closes a session only for its owner; the other
/// process's session lives on until it stops renewing it). TTLs outside the ensemble's
/// `minSessionTimeout`...`maxSessionTimeout` (2 to 20 ticks by default) are refused or raised by the
/// server: a granted timeout shorter than the TTL fails with
/// `ElectionError.Code.invalidConfiguration` (at a later reconnect, with
/// `ElectionError.Code.leaseExpired`); a longer one only delays takeover. A renewal costs a
/// round trip to the ensemble's leader (through the session's server), not only to that server.
/// The deadline's margin relies on the leader hearing of the session from its server at least
/// every renewal interval (servers report their sessions every `tickTime` / 2).
public final class ZooKeeperBackend: ElectionBackendService {
    /// The configuration the backend was created with.
    public let configuration: ZooKeeperConfiguration

    let logger: Logger
    let group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    let router = WatchRouter()
    let endpoints: [ZooKeeperSession.Endpoint]
    let leases = Mutex<[Int64: LeaseRecord]>([:])
    let observer = Mutex<ZooKeeperSession?>(nil)
    let knownPaths = Mutex<Set<String>>([])
    let clock = ElectionClock(ContinuousClock())
    private let stopped = ChangeSignal()

    /// What the backend keeps about a lease it granted.
    struct LeaseRecord: Sendable {
        let session: ZooKeeperSession
        /// Its candidacy per election path.
        var candidacies: [String: Candidacy] = [:]
        /// The name prefix chosen per election path, kept so that a create whose answer was lost
        /// can be found again instead of creating a second candidacy.
        var prefixes: [String: String] = [:]
    }

    /// Creates a backend; nothing connects before an operation is made.
    /// - Throws: `ElectionError.Code.invalidConfiguration` for an unusable configuration.
    public init(configuration: ZooKeeperConfiguration, logger: Logger) throws {
        try configuration.validate()
        self.configuration = configuration
        self.logger = logger
        endpoints = configuration.endpoints.map { ZooKeeperSession.Endpoint(host: $0.host, port: $0.port) }
    }

    /// Keeps the observer session alive until cancelled, shut down gracefully (ServiceLifecycle)
    /// or ``shutdown()``; then closes it and every session of a lease still held.
    public func run() async throws {
        await withGracefulShutdownHandler {
            await withTaskGroup(of: Void.self) { group in
                group.addTask { await self.pingObserver() }
                // Any shutdown ends it, also one that came before this call began (a caller's body
                // may end before the task running this has even started).
                group.addTask { await self.stopped.wait(after: 0) }
                await group.next()
                group.cancelAll()
            }
        } onGracefulShutdown: {
            self.shutdown()
        }
        await closeSessions()
    }

    /// Ends ``run()``, or makes it end at once when it has not begun yet.
    public func shutdown() {
        stopped.notify()
    }

    /// Closes every session this backend holds (candidacies go at once).
    private func closeSessions() async {
        let sessions = leases.withLock { leases in
            defer { leases = [:] }
            return leases.values.map(\.session)
        }
        let observerSession = observer.withLock { observer in
            defer { observer = nil }
            return observer
        }
        for session in sessions + [observerSession].compactMap({ $0 }) {
            try? await withTimeout("closing a session") { try await session.close() }
        }
    }

    /// Closes the connection of every session of this backend without ending the sessions, as a
    /// network failure would: each reconnects (to the next server) on its next request, and the
    /// watches set on the old connections are gone. For tests.
    func dropConnections() {
        let sessions = leases.withLock { $0.values.map(\.session) } + [observer.withLock { $0 }].compactMap { $0 }
        for session in sessions { session.dropConnection() }
    }

    /// Pings the observer session every third of its timeout, and drops it once it expired.
    private func pingObserver() async {
        let interval = configuration.observerSessionTimeout / 3
        while !Task.isCancelled {
            try? await Task.sleep(for: interval)
            guard let session = observer.withLock({ $0 }) else { continue }
            do {
                try await withTimeout("pinging the observer session") { try await session.ping() }
            } catch {
                if session.isExpired { observer.withLock { if $0 === session { $0 = nil } } }
                logger.debug("the ZooKeeper observer session did not answer a ping", metadata: ["error": "\(error)"])
            }
        }
    }
}
