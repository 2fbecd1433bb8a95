import LeaderElection
import Logging
import PostgresNIO
import ServiceLifecycle
import Synchronization

/// An `ElectionBackend` in a PostgreSQL database (`--store postgres://USER:PASSWORD@HOST:PORT/DB`):
/// for deployments that already run PostgreSQL.
///
/// Leases are rows whose expiry is decided by the **server's** clock (`clock_timestamp()`), so the
/// clients' clocks never matter. Lease ids and fencing tokens come from sequences; candidacies of
/// one election are created one at a time, so a candidacy committed later always has a larger
/// token. Every change is announced with `NOTIFY`: a waiting candidate listens for the deletion of
/// the candidacy just before its own (and of its own), an observer for changes of its election, so
/// a resignation is noticed at once. A waiter also re-reads when its predecessor's lease is due
/// to expire and every ``PostgresConfiguration/pollInterval``, as a safety net for lost
/// notifications. Whoever writes reaps expired leases first. No session advisory lock is used:
/// leadership never depends on a connection staying open.
///
/// The backend is a `Service`: its connection pool and its listening connection live while
/// ``run()`` runs (or inside `ElectionBackendService.withBackend(configuration:logger:_:)`).
/// The tables (`leader_election_leases`, `leader_election_candidates`, `leader_election_schema`) are created
/// or upgraded by the first operation.
///
/// Not guaranteed: correct expiry if the server's wall clock jumps (keep it on NTP, which slews
/// rather than steps; a forward step expires leases early, which the fencing tokens make safe but
/// not smooth); anything while the server is unreachable (operations fail with
/// `ElectionError.Code.storeUnavailable` after ``PostgresConfiguration/requestTimeout``);
/// durability beyond what the server's own settings give.
public final class PostgresBackend: ElectionBackendService {
    /// The configuration the backend was created with.
    public let configuration: PostgresConfiguration

    let client: PostgresClient
    let router = NotificationRouter()
    let logger: Logger
    let schemaReady = Mutex(false)
    /// Whether ``run()`` started the pool; operations wait for it (the pool serves nothing before).
    let running = Mutex(false)
    let runningChanged = ChangeSignal()
    private let stopped = ChangeSignal()
    let clock = ElectionClock(ContinuousClock())

    /// The longest TTL stored, in microseconds; longer ones are shortened to it (about 285 years).
    private static let maximumTTLMicroseconds: Int64 = 1 << 53

    /// Creates a backend; nothing connects before ``run()`` runs and an operation is made.
    /// - Throws: `ElectionError.Code.invalidConfiguration` for an unusable configuration.
    public init(configuration: PostgresConfiguration, logger: Logger) throws {
        try configuration.validate()
        self.configuration = configuration
        self.logger = logger
        var options = PostgresClient.Configuration.Options()
        options.maximumConnections = configuration.maximumConnections
        options.minimumConnections = 0
        options.connectTimeout = configuration.requestTimeout
        var clientConfiguration = PostgresClient.Configuration(
            host: configuration.host,
            port: configuration.port,
            username: configuration.username,
            password: configuration.password,
            database: configuration.database,
            tls: .disable
        )
        clientConfiguration.options = options
        client = PostgresClient(configuration: clientConfiguration, backgroundLogger: logger)
    }

    /// Maintains the connection pool and the listening connection until cancelled, shut down
    /// gracefully (ServiceLifecycle) or ``shutdown()``.
    public func run() async throws {
        await withGracefulShutdownHandler {
            await withTaskGroup(of: Void.self) { group in
                group.addTask {
                    self.running.withLock { $0 = true }
                    self.runningChanged.notify()
                    await self.client.run()
                }
                group.addTask { await self.listenForChanges() }
                // Any shutdown ends it, also one that came before this call began (a caller's body
                // may end before the task running this has even started).
                group.addTask { await self.stopped.wait(after: 0) }
                await group.next()
                group.cancelAll()
            }
        } onGracefulShutdown: {
            self.shutdown()
        }
        running.withLock { $0 = false }
    }

    /// Ends ``run()``, or makes it end at once when it has not begun yet. Leases stay in the
    /// database until they expire or are revoked.
    public func shutdown() {
        stopped.notify()
    }

    // MARK: - ElectionBackend

    /// Creates a lease that expires `ttl` after the server processed this call (rounded up to a
    /// microsecond).
    public func grantLease(ttl: Duration) async throws -> LeaseID {
        guard ttl > .zero else {
            throw ElectionError.invalidConfiguration("a lease TTL must be positive, got \(ttl)")
        }
        let (seconds, attoseconds) = ttl.components
        let micro =
            seconds > Self.maximumTTLMicroseconds / 1_000_000
            ? Self.maximumTTLMicroseconds
            : seconds * 1_000_000 + (attoseconds + 999_999_999_999) / 1_000_000_000_000
        return try await transaction("granting a lease") { transaction in
            try await transaction.reapExpiredLeases()
            return try await transaction.grantLease(ttlMicroseconds: micro)
        }
    }

    /// Extends the lease to its TTL from now on the server's clock; throws
    /// `ElectionError.Code.leaseExpired` when it is gone or expired.
    public func renewLease(_ lease: LeaseID) async throws {
        let renewed = try await statement("renewing lease \(lease)") { try await $0.renewLease(lease) }
        if !renewed { throw ElectionError.leaseExpired(lease) }
    }

    /// Deletes the lease and its candidacies; succeeds if it is already gone.
    public func revokeLease(_ lease: LeaseID) async throws {
        try await transaction("revoking lease \(lease)") { transaction in
            if try await transaction.lockLease(lease) {
                try await transaction.deleteLeases([lease.rawValue])
            }
        }
    }

    /// Joins `election` with `lease`, or returns the candidacy the lease already has there.
    public func campaign(election: String, lease: LeaseID, value: String) async throws -> Candidacy {
        let joined: Candidacy?
        do {
            joined = try await transaction("joining election '\(election)'") { transaction in
                try await transaction.reapExpiredLeases()
                return try await transaction.campaign(election: election, lease: lease, value: value)
            }
        } catch let error as ElectionError where PostgresFailure.sqlState(error.cause ?? error) == PostgresFailure.foreignKeyViolation {
            // The lease was reaped or revoked while the candidacy was being attached to it.
            joined = nil
        }
        guard let joined else { throw ElectionError.leaseExpired(lease) }
        return joined
    }

    /// Returns once `candidacy` leads. Wakes on the notification that its predecessor (or
    /// itself) was deleted, when the predecessor's lease is due to expire, and every
    /// ``PostgresConfiguration/pollInterval``; throws `ElectionError.Code.leaseExpired` when
    /// the candidacy disappears.
    public func waitUntilLeader(_ candidacy: Candidacy) async throws {
        let subscription = router.subscribe()
        defer { router.unsubscribe(subscription) }
        router.add(NotificationRouter.candidacyTopic(candidacy.election, token: candidacy.token.rawValue), to: subscription)
        var watched: Int64?
        while true {
            try Task.checkCancellation()
            let version = subscription.signal.version
            let standing = try await transaction("waiting to lead election '\(candidacy.election)'") { transaction in
                try await transaction.reapExpiredLeases()
                return try await transaction.standing(of: candidacy)
            }
            switch standing {
            case .leading:
                return
            case .gone:
                throw ElectionError.leaseExpired(candidacy.lease)
            case .waiting(let predecessor, let expiresIn):
                if predecessor != watched {
                    if let watched {
                        router.remove(NotificationRouter.candidacyTopic(candidacy.election, token: watched), from: subscription)
                    }
                    router.add(NotificationRouter.candidacyTopic(candidacy.election, token: predecessor), to: subscription)
                    watched = predecessor
                    // Read again: the predecessor may have gone before the subscription existed.
                    continue
                }
                let wait = min(configuration.pollInterval, max(expiresIn, .zero) + .milliseconds(1))
                await subscription.signal.wait(after: version, orUntil: clock.now() + wait, clock: clock)
            }
        }
    }

    /// Deletes `candidacy` but keeps its lease; succeeds if it is already gone.
    public func resign(_ candidacy: Candidacy) async throws {
        _ = try await statement("resigning from election '\(candidacy.election)'") { try await $0.resign(candidacy) }
    }

    /// The live candidacy of `election` with the smallest token, or nil.
    public func leader(election: String) async throws -> Candidacy? {
        try await statement("reading the leader of '\(election)'") { try await $0.candidates(election: election, limit: 1) }.first?.0
    }

    /// The live candidacies of `election`, oldest (the leader) first.
    public func candidates(election: String) async throws -> [Candidacy] {
        try await statement("reading the candidates of '\(election)'") { try await $0.candidates(election: election) }.map(\.0)
    }

    /// The leader of `election` now and after each change: woken by notifications, when the
    /// leader's lease is due to expire, and every ``PostgresConfiguration/pollInterval``. Ends
    /// with the error when the database cannot be read several times in a row.
    public func watchLeader(election: String) -> AsyncThrowingStream<Candidacy?, any Error> {
        let watch = LeaderWatch(router: router, election: election)
        return AsyncThrowingStream(unfolding: {
            while !Task.isCancelled {
                let version = watch.subscription.signal.version
                let first: (Candidacy, Duration)?
                do {
                    first = try await self.statement("observing '\(election)'") {
                        try await $0.candidates(election: election, limit: 1)
                    }.first
                    watch.failures = 0
                } catch is CancellationError {
                    return nil
                } catch {
                    // Ride out a brief outage (a restarting server); give up after a few failures in a row.
                    watch.failures += 1
                    if watch.failures >= LeaderWatch.attempts { throw error }
                    try? await Task.sleep(for: .milliseconds(100 * watch.failures))
                    continue
                }
                if watch.changed(to: first?.0) { return .some(first?.0) }
                var wait = self.configuration.pollInterval
                if let remaining = first?.1 { wait = min(wait, max(remaining, .zero) + .milliseconds(1)) }
                await watch.subscription.signal.wait(after: version, orUntil: self.clock.now() + wait, clock: self.clock)
            }
            return nil
        })
    }
}
