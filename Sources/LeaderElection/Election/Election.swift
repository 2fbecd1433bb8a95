import Logging
import Metrics
import ServiceLifecycle
import Synchronization

/// A candidate in a named leader election, backed by any ``ElectionBackend``.
///
/// The central API is scoped: ``withLeadership(_:)`` campaigns until elected and runs its body
/// only while this candidate leads; the body's task is cancelled the moment leadership is lost,
/// the local deadline passes, or ``resign()`` is called. ``whileLeader(_:)`` campaigns again after
/// each loss. As a ServiceLifecycle `Service`, ``run()`` does the same with the body given at init
/// and resigns on graceful shutdown.
///
/// Not guaranteed: that a side effect started before the deadline completes before it. Pass
/// ``Leadership/token`` to every resource so that it can reject a deposed leader's late writes.
/// One `Election` runs one term at a time; do not call ``withLeadership(_:)`` concurrently on it.
public final class Election: Service, Sendable {
    /// The election's name, shared by all its candidates.
    public let name: String
    /// This candidate's identifier (for logs, metrics and status).
    public let candidateID: String
    /// The value this candidate proclaims when it leads (what observers see).
    public let value: String
    /// Timing of leases, renewals and retries.
    public let configuration: Configuration

    let backend: any ElectionBackend
    let clock: ElectionClock
    let logger: Logger
    let metrics: ElectionMetrics
    private let leaderBody: (@Sendable (Leadership) async throws -> Void)?
    private let shared = Mutex<(term: Term?, leadership: Leadership?)>((nil, nil))

    func setLeadership(_ leadership: Leadership) {
        shared.withLock { $0.leadership = leadership }
        metrics.setLeading(true)
    }

    func clear(_ term: Term) {
        let cleared = shared.withLock { state -> Bool in
            guard state.term === term else { return false }
            state = (nil, nil)
            return true
        }
        if cleared { metrics.setLeading(false) }
    }

    /// Creates a candidate. Nothing happens until ``withLeadership(_:)``, ``whileLeader(_:)`` or ``run()``.
    /// - Parameters:
    ///   - name: The election's name (for example `billing-renewals`).
    ///   - candidateID: This candidate's identifier; also the proclaimed value unless `value` is given.
    ///   - value: What observers see while this candidate leads.
    ///   - backend: The store.
    ///   - configuration: Lease timing; defaults to ``Configuration/default``.
    ///   - clock: The local monotonic clock all deadlines are measured on.
    ///   - logger: Receives leadership changes at `info`, store trouble at `warning`.
    ///   - metricsFactory: Where the metrics listed in `ElectionMetrics` go; the global one by default.
    ///   - leaderBody: The work ``run()`` does while leading; nil means hold leadership until shutdown.
    public init(
        name: String,
        candidateID: String,
        value: String? = nil,
        backend: any ElectionBackend,
        configuration: Configuration = .default,
        clock: some Clock<Duration> = ContinuousClock(),
        logger: Logger,
        metricsFactory: any MetricsFactory = MetricsSystem.factory,
        leaderBody: (@Sendable (Leadership) async throws -> Void)? = nil
    ) {
        self.name = name
        self.candidateID = candidateID
        self.value = value ?? candidateID
        self.backend = backend
        self.configuration = configuration
        self.clock = ElectionClock(clock)
        var logger = logger
        logger[metadataKey: "election"] = "\(name)"
        logger[metadataKey: "candidate"] = "\(candidateID)"
        self.logger = logger
        self.metrics = ElectionMetrics(election: name, candidateID: candidateID, factory: metricsFactory)
        self.leaderBody = leaderBody
    }

    /// The time on the election's clock, the scale of ``Leadership/deadline``.
    public func now() -> Duration { clock.now() }

    /// The current leadership of this candidate, if it leads now.
    public var leadership: Leadership? {
        guard let leadership = shared.withLock({ $0.leadership }), leadership.isValid else { return nil }
        return leadership
    }

    /// Campaigns and leads with the body given at init (or holds leadership without one),
    /// campaigning again after each loss, until graceful shutdown or cancellation; then the body
    /// is cancelled and the lease revoked so that the next candidate takes over at once.
    public func run() async throws {
        let body =
            leaderBody ?? { _ in
                // Hold leadership until cancelled.
                try await self.clock.sleep(until: .seconds(Int64.max / 2))
            }
        try await cancelWhenGracefulShutdown {
            try await self.whileLeader(body)
        }
    }

    /// Campaigns until elected, runs `body` while leading, then releases leadership.
    ///
    /// The body's task is cancelled when leadership is lost or the local deadline passes; this
    /// method then throws ``ElectionError`` with code ``ElectionError/Code/leadershipLost``.
    /// If the caller is cancelled, leadership is released and `CancellationError` is thrown.
    /// An error thrown by the body is rethrown after leadership is released.
    public func withLeadership<Result: Sendable>(
        _ body: @Sendable (Leadership) async throws -> Result
    ) async throws -> Result {
        let term = try await beginTerm()
        shared.withLock { $0.term = term }
        do {
            let result = try await withoutActuallyEscaping(body) { body in
                try await self.lead(term: term, body: body)
            }
            await release(term, cause: .resigned)
            return result
        } catch {
            let cause = lossCause(for: error, term: term)
            await release(term, cause: cause)
            if let error = error as? ElectionError, error.code == .leadershipLost || error.code == .leaseExpired {
                throw ElectionError.leadershipLost(cause)
            }
            throw error
        }
    }

    /// The loop form: campaigns, runs `body` while leading, and campaigns again after each loss
    /// or return of the body, until the calling task is cancelled. Errors thrown by the body
    /// end the loop and are rethrown.
    public func whileLeader(_ body: @Sendable (Leadership) async throws -> Void) async throws {
        var failures = 0
        while !Task.isCancelled {
            do {
                try await withLeadership(body)
                failures = 0
            } catch let error as ElectionError where error.code == .leadershipLost {
                if error.lossCause == .resigned {
                    failures = 0
                    continue
                }
                failures += 1
                try? await clock.sleep(for: configuration.retryBackoff.delay(attempt: failures))
            } catch is CancellationError {
                return
            }
        }
    }

    /// Releases leadership (or abandons the campaign) at once, so that the next candidate takes
    /// over without waiting for the TTL. The running body is cancelled first. Returns once the
    /// lease is revoked (or the attempt failed; the store then expires it after the TTL).
    /// ``whileLeader(_:)`` and ``run()`` then campaign again. Call it from outside the body: it
    /// waits for the body to end, so a body that wants to step down throws instead.
    public func resign() async {
        guard let term = shared.withLock({ $0.term }) else { return }
        term.requestResignation()
        await term.waitUntilReleased()
    }

    /// The leader of this election now and after each change, including when there is none.
    public func observe() -> LeaderObservation {
        LeaderObservation(backend.watchLeader(election: name))
    }
}
