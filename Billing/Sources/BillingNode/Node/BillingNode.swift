@_spi(NegativeControls) import Billing
import Glibc
import LeaderElection
@_spi(NegativeControls) import LeaderElectionZooKeeper
import Logging
import Metrics
import Payments
import Prometheus
import ServiceLifecycle
import Synchronization

/// One replica of the billing service: it campaigns in the election, runs the renewal engine
/// only while it leads (inside `Election.withLeadership`, with the leadership's fencing token on
/// every write), and serves its status, metrics, admin endpoints and the dashboard over HTTP.
///
/// A ServiceLifecycle `Service`. On graceful shutdown (SIGTERM under a `ServiceGroup`) the engine
/// is cancelled between renewals' steps (a renewal cut between the pending charge and its outcome
/// stays pending and the next leader reconciles it with the same idempotency key), the lease is
/// revoked so that another replica takes over at once, and ``run()`` returns.
///
/// Not guaranteed: billing progress while the coordination store or the billing database is
/// unreachable; exactly-once toward a provider that ignores idempotency keys.
public final class BillingNode: Service, Sendable {
    /// The configuration the node was made with.
    public let configuration: Configuration
    /// The metrics of the election and the engine, which `/metrics` renders in Prometheus's text
    /// format (swift-prometheus: counters, gauges, timers as histograms in seconds).
    public let metrics: PrometheusCollectorRegistry
    let state: NodeState
    let election: Election
    private let engine: RenewalEngine
    /// The engine's billing clock, also read by the leader's clock watchdog.
    private let billingClock: CheckedBillingClock
    let store: any BillingStore
    /// The PayPal client, when the provider is PayPal: `POST /webhooks/paypal` verifies deliveries through it.
    let payPalClient: PayPalClient?
    private let reviewGauge: Metrics.Gauge
    private let outboxGauge: Metrics.Gauge
    private let outboxAgeGauge: Metrics.Gauge
    private let outboxRelay: OutboxRelay?
    private let logger: Logger
    private let eventLog: NodeEventLog?
    private let storeProgress = StoreProgress()
    private let boundPort = Mutex<Int?>(nil)

    /// Creates a node over open stores.
    /// - Parameters:
    ///   - configuration: Ids, URLs, HTTP address, timing.
    ///   - backend: The coordination store's election backend.
    ///   - store: The billing database.
    ///   - provider: The payment provider client.
    ///   - logger: Receives leadership changes and engine summaries at `info`.
    /// - Throws: ``BillingNodeError`` for an invalid engine configuration.
    public init(
        configuration: Configuration, backend: any ElectionBackend, store: any BillingStore, provider: any PaymentProvider, logger: Logger
    ) throws {
        self.configuration = configuration
        self.logger = logger
        // A registry of this node's own rather than the process-wide default, so that nodes in one
        // process (tests, the benchmark) keep apart.
        let registry = PrometheusCollectorRegistry()
        self.metrics = registry
        let metrics = PrometheusMetricsFactory(registry: registry)
        WallClock.skewMs.store(Int64(configuration.clockSkew / .milliseconds(1)), ordering: .relaxed)
        let state = NodeState(nodeID: configuration.nodeID, leaseTTL: configuration.election.leaseTTL)
        self.state = state
        let eventLog = try configuration.eventLogPath.map { try NodeEventLog(path: $0, nodeID: configuration.nodeID) }
        self.eventLog = eventLog
        eventLog?.append(.started, detail: "pid \(getpid())")
        self.payPalClient = provider as? PayPalClient
        var store = store
        var provider = provider
        switch configuration.negativeControl {
        case .noFencing?:
            logger.critical(
                "NEGATIVE CONTROL no-fencing: this node's billing store accepts writes under a stale fencing token; it will break exactly-once"
            )
            FencePredicate.removeForNegativeControl()
        case .newKeyPerAttempt?:
            logger.critical(
                "NEGATIVE CONTROL new-key-per-attempt: this node sends every provider call under a new idempotency key; it will charge twice"
            )
            provider = FreshKeyProvider(base: provider)
        case .renewByPing?:
            logger.critical(
                "NEGATIVE CONTROL renew-by-ping: this node renews ZooKeeper leases by ping; it can lead beside its successor"
            )
            PingRenewal.enableForNegativeControl()
        case .retryableClosesCharge?:
            logger.critical(
                "NEGATIVE CONTROL retryable-closes-charge: this node fails open charges it could not send; a dunning retry will charge again"
            )
            RetryableClosesCharge.putBackForNegativeControl()
        case nil:
            break
        }
        if let directory = configuration.failpointDirectory {
            logger.warning(
                "failpoints are on: the fault harness can stop this process mid-renewal", metadata: ["directory": "\(directory)"])
            Failpoint.enable(directory: directory)
        }
        store = InstrumentedStore(base: store, progress: storeProgress, log: eventLog)
        self.store = store
        self.reviewGauge = Metrics.Gauge(label: "billing_charges_needing_review", factory: metrics)
        self.outboxGauge = Metrics.Gauge(label: "billing_outbox_undelivered", factory: metrics)
        self.outboxAgeGauge = Metrics.Gauge(label: "billing_outbox_oldest_undelivered_age_seconds", factory: metrics)
        if configuration.eventEndpoints.isEmpty {
            self.outboxRelay = nil
        } else {
            guard let secret = configuration.eventSecret, !secret.isEmpty else {
                throw BillingNodeError(
                    code: .invalidConfiguration,
                    message:
                        "event endpoints are configured without a signing secret: set BILLING_EVENT_SECRET (or BILLING_EVENT_SECRET_FILE)")
            }
            self.outboxRelay = OutboxRelay(
                store: store,
                sender: HTTPEventSender(endpoints: configuration.eventEndpoints, secret: secret, client: .shared, timeout: .seconds(10)),
                configuration: configuration.outboxRelay, metrics: OutboxMetrics(factory: metrics), logger: logger)
        }
        self.election = Election(
            name: configuration.electionName, candidateID: configuration.nodeID, backend: backend,
            configuration: configuration.election, logger: logger, metricsFactory: metrics
        )
        let billingClock = CheckedBillingClock(base: DatabaseBillingClock(store: store), tolerance: configuration.clockTolerance)
        self.billingClock = billingClock
        do {
            self.engine = try RenewalEngine(
                store: store, provider: RecordingProvider(base: provider, state: state, eventLog: eventLog),
                billingClock: billingClock,
                configuration: configuration.engine, logger: logger, metricsFactory: metrics
            )
        } catch let error as BillingError {
            throw BillingNodeError(code: .invalidConfiguration, message: error.message, cause: error)
        }
    }

    /// The port the HTTP server listens on, once it does.
    public var httpPort: Int? { boundPort.withLock { $0 } }

    /// This node's status now (what `GET /status` answers).
    public func status() -> NodeStatus { state.status() }

    /// Runs the election, the engine and the HTTP server until graceful shutdown or cancellation.
    public func run() async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                let server = NodeHTTPServer(node: self, logger: self.logger)
                try await server.run { port in self.boundPort.withLock { $0 = port } }
            }
            group.addTask {
                await cancelWhenGracefulShutdown { await self.observeLeader() }
            }
            group.addTask {
                await cancelWhenGracefulShutdown { await self.watchBacklogs() }
            }
            group.addTask {
                await cancelWhenGracefulShutdown { await self.lead() }
            }
            try await group.waitForAll()
        }
    }

    /// Pauses billing on this node: it resigns if it leads and stops campaigning until ``resumeBilling()``.
    public func pauseBilling() async {
        state.isPaused = true
        logger.info("billing paused on this node")
        await election.resign()
    }

    /// Lets this node campaign and bill again after ``pauseBilling()``.
    public func resumeBilling() {
        state.isPaused = false
        logger.info("billing resumed on this node")
    }

    /// Releases leadership now, if this node leads; it then campaigns again (behind the others).
    public func resign() async {
        await election.resign()
    }

    /// Campaigns and bills while leading, again and again, until cancelled.
    private func lead() async {
        while !Task.isCancelled {
            if state.isPaused {
                guard (try? await Task.sleep(for: .milliseconds(100))) != nil else { return }
                continue
            }
            do {
                try await election.withLeadership { leadership in
                    self.state.becameLeader(leadership)
                    self.eventLog?.append(.leading, token: leadership.token.rawValue)
                    defer { self.state.leadershipEnded() }
                    do {
                        try await self.bill(leadership)
                        self.logLeadershipEnded(leadership, cause: "billing stopped")
                    } catch {
                        self.logLeadershipEnded(leadership, cause: "\(error)")
                        throw error
                    }
                }
            } catch is CancellationError {
                return
            } catch let error as ElectionError where error.code == .leadershipLost {
                logger.info("leadership ended", metadata: ["cause": "\(error.lossCause.map { "\($0)" } ?? "unknown")"])
            } catch {
                // A stale fencing token or a provider that refuses the credentials: step down, tell
                // the operator, and campaign again after a pause rather than spin.
                let message = (error as? BillingError)?.message ?? "\(error)"
                state.recordFailure(message)
                logger.error("billing stopped on this node: \(message)")
                guard (try? await Task.sleep(for: .seconds(1))) != nil else { return }
            }
        }
    }

    /// Logs the end of a term with its local deadline in real time: the term ended at the
    /// deadline or now, whichever came first, even when a pause delayed this line.
    private func logLeadershipEnded(_ leadership: Leadership, cause: String) {
        let remaining = leadership.remainingTime() / .milliseconds(1)
        eventLog?.append(
            .leadershipEnded, token: leadership.token.rawValue, detail: cause,
            deadlineMs: NodeEventLog.realNowMs() + Int64(remaining.rounded(.down)))
    }

    /// The leader's work: renewal passes until leadership ends or billing is paused, watched by
    /// two watchdogs that step down when the billing database stops answering and when its clock
    /// and this host's disagree.
    private func bill(_ leadership: Leadership) async throws {
        let finished = Flag()
        defer { finished.set() }
        try await withTaskCancellationHandler {
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await self.runPasses(leadership) }
                group.addTask {
                    do {
                        try await self.stepDownWhenDatabaseStalls()
                    } catch let error as BillingNodeError {
                        self.exitUnlessFinished(finished)
                        throw error
                    }
                }
                group.addTask { try await self.stepDownWhenClocksDisagree() }
                if let relay = self.outboxRelay {
                    group.addTask { try await relay.run(checkLeadership: { try leadership.checkValid() }) }
                }
                defer { group.cancelAll() }
                try await group.next()
            }
        } onCancel: {
            exitUnlessFinished(finished)
        }
    }

    /// Ends the process if the leader's work has not stopped `wedgedLimit` after it was told to.
    ///
    /// The work stops within milliseconds when its calls honour cancellation; a call that never
    /// returns (a database client wedged by a partition) would keep this replica out of the
    /// election for good. Crash-only, as Kubernetes controllers do when they lose their lease:
    /// the supervisor (systemd, Kubernetes) starts a fresh process. Safe at any moment: the lease
    /// is already released or expiring, and every write carries the fencing token.
    private func exitUnlessFinished(_ finished: Flag) {
        let limit = configuration.wedgedWorkExitLimit
        let logger = self.logger
        Task.detached {
            try? await Task.sleep(for: limit)
            guard !finished.isSet else { return }
            logger.critical(
                "the leader's work did not stop within \(limit) of losing leadership (a call that never returns); exiting so that the supervisor restarts this node"
            )
            exit(75)
        }
    }

    /// Steps down when the billing database has not answered for longer than the stall limit
    /// while calls wait on it or fail to reach it (``StoreProgress``): the database is out of
    /// this replica's reach, and while it leads nobody bills. The error ends the leadership body, and `withLeadership` then revokes the
    /// lease (calling `resign()` from inside the body would wait for the body itself). Writes of
    /// calls that return later carry a stale token and are refused.
    private func stepDownWhenDatabaseStalls() async throws {
        let limit = configuration.databaseStallLimit ?? configuration.election.leaseTTL
        storeProgress.reset()
        while true {
            try await Task.sleep(for: .milliseconds(100))
            let stall = storeProgress.stall()
            guard stall > limit else { continue }
            let message = "the billing database has not answered for \(stall); stepping down so that a replica that reaches it can bill"
            logger.error("\(message)")
            throw BillingNodeError(code: .storeUnavailable, message: message)
        }
    }

    /// Steps down as soon as the billing clock and this host's clock disagree beyond the tolerance
    /// (``CheckedBillingClock``), read every quarter TTL (at most every 500 ms). A pass reads the
    /// clock once, at its start, for its due decisions; a long catch-up pass would otherwise lead
    /// on for seconds with a clock already known to be wrong, while another replica could bill.
    /// Other failures of the read are the database watchdog's and the passes' to handle.
    private func stepDownWhenClocksDisagree() async throws {
        let interval = min(.milliseconds(500), configuration.election.leaseTTL / 4)
        while true {
            try await Task.sleep(for: interval)
            do {
                _ = try await billingClock.now()
            } catch let error as BillingError where error.code == .clockDivergence {
                throw error
            } catch {
                continue
            }
        }
    }

    /// Renewal passes, one after another, until leadership ends or billing is paused, in one
    /// renewal session: a pass starts beside the stragglers of earlier ones.
    private func runPasses(_ leadership: Leadership) async throws {
        let fence = Fence(leadership)
        let engine = self.engine
        try await NodeEventLog.$currentToken.withValue(leadership.token.rawValue) {
            try await engine.withSession(fence: fence, checkLeadership: { try leadership.checkValid() }) { session in
                try await self.repeatPasses { try await session.runPass() }
            }
        }
    }

    /// Runs `pass`, records its report, waits the pass interval, and again, until billing is paused.
    private func repeatPasses(_ pass: () async throws -> RenewalReport) async throws {
        while !state.isPaused {
            do {
                state.record(try await pass())
            } catch let error as BillingError where error.code == .storeUnavailable {
                state.recordFailure(error.message)
                logger.warning("renewal pass failed; retrying", metadata: ["error": "\(error.message)"])
            }
            try await Task.sleep(for: configuration.engine.passInterval)
        }
    }

    /// Keeps the count of charges that need an operator (parked, or flagged for a refund review)
    /// and the outbox's backlog up to date in `/status`, `/metrics` and the dashboard, on every
    /// node: they are the database's, not the leader's.
    private func watchBacklogs() async {
        while !Task.isCancelled {
            if let count = try? await store.countChargesInReview() {
                state.recordChargesNeedingReview(count)
                reviewGauge.record(count)
            }
            if let backlog = try? await store.outboxBacklog(), let now = try? await store.currentTime() {
                let age = backlog.oldestUndeliveredAt.map { max(0, $0.duration(to: now) / .milliseconds(1)) }
                state.recordOutbox(
                    NodeStatus.Outbox(
                        undelivered: backlog.undelivered, oldestUndeliveredAgeMs: age.map { Int64($0.rounded(.down)) },
                        failing: backlog.failing, endpoints: configuration.eventEndpoints.count))
                outboxGauge.record(backlog.undelivered)
                outboxAgeGauge.record((age ?? 0) / 1000)
            }
            guard (try? await Task.sleep(for: .seconds(2))) != nil else { return }
        }
    }

    /// Keeps ``NodeState`` up to date with the leader the store reports.
    private func observeLeader() async {
        while !Task.isCancelled {
            do {
                for try await leader in election.observe() {
                    state.leaderObserved(leader)
                }
            } catch {
                if Task.isCancelled { return }
                logger.warning("watching the leader failed; watching again", metadata: ["error": "\(error)"])
            }
            guard (try? await Task.sleep(for: .milliseconds(200))) != nil else { return }
        }
    }
}

/// A one-way flag shared between a task and a watchdog.
private final class Flag: Sendable {
    private let value = Mutex(false)
    var isSet: Bool { value.withLock { $0 } }
    func set() { value.withLock { $0 = true } }
}
