import LeaderElection
import Logging
import Metrics
import Payments

/// The renewal engine: bills due subscriptions exactly once, as the leader of an election.
///
/// Run it inside `Election.withLeadership` with the leadership's fence (``run(leadership:)``). Each
/// pass (``runPass(fence:checkLeadership:)``):
/// 1. claims the fence (a stale token stops the engine with ``BillingError/Code/staleFencingToken``);
/// 2. reconciles charges left pending or unknown (by a crash, a lost response, an outage, an
///    earlier leader): within the provider's retention of the key it asks again with the *same*
///    idempotency key; past it, it looks the charge up instead (see below);
/// 3. takes due subscriptions in due order, in batches, with at most
///    ``Configuration/maxConcurrentRenewals`` in flight and a token-bucket rate limit toward the
///    provider that pauses on 429 (honouring Retry-After). Per renewal: (a) one fenced transaction
///    writes the pending charge with key `renewal:<subscription-id>:<period-start>` and the time
///    the key is sent; (b) the provider is called with that key; (c) one fenced transaction
///    records the outcome and advances the period, or marks the subscription past due with a
///    dunning retry, or cancels it, conditional on the subscription's row version. Cancel-at-
///    period-end ends a subscription at its period end without a charge. Missed periods after
///    downtime are billed one by one, in order, until the subscription is paid up.
///
/// What keeps a charge to one (see ``RenewalDecision``):
/// - Once its row exists, a charge is closed only by the provider's definite answer for its own
///   key (success or decline). "Not reached", a lost answer or a key conflict leave it open with
///   the same key, asked again after a back-off (``Configuration/openChargeBackoff``); the
///   subscription does not move and no dunning step is consumed.
/// - A key is replayed only within `PaymentProvider.idempotencyKeyRetention` less
///   ``Configuration/keyReplaySafetyMargin`` of its send time. Past that, the charge is looked
///   up at the provider (`PaymentProvider.lookUpCharge(_:)`) and settled from what is
///   found; a key found nowhere is sent anew with a new send time, written first. A lookup that
///   is impossible or ambiguous parks the charge for an operator.
/// - A request the provider rejects as such (a 4xx that is not a decline: a payment method that
///   no longer exists) parks that one charge; billing goes on for everyone else. Credentials or
///   configuration the provider refuses stop the engine (every charge would fail).
/// - Every subscription write is conditional on the row version read, so a renewal in flight
///   never undoes a cancellation; a charge that succeeds on a subscription canceled meanwhile is
///   recorded and flagged for a refund review.
/// Parked charges show in ``BillingStore/chargesInReview(limit:)``; an operator settles them with
/// ``BillingStore/resolveCharge(_:)`` (`billing charges resolve`).
///
/// In ``run(fence:checkLeadership:)`` (and any ``withSession(fence:checkLeadership:_:)``) a pass
/// does not wait for its slowest renewals beyond ``Configuration/stragglerGrace``: the next pass
/// starts beside them and leaves their subscriptions alone (``RenewalSession``).
///
/// On a store that writes a batch more cheaply than its rows one by one
/// (``BillingStore/writesInBatches``: PostgreSQL), the (a) and (c) writes of concurrent renewals
/// are group-committed: a write waits only for the batch statement already running, then goes
/// with everything queued behind it; each renewal still gets its own result, and a batch is
/// fenced as a whole.
///
/// Due decisions use one "now" per pass, read from the injected ``BillingClock``: use
/// ``DatabaseBillingClock`` so that every replica agrees. Waits (rate limit, back-off, between
/// passes) use the injected `Clock<Duration>`. The engine stops the instant its task is cancelled,
/// without waiting for store calls in flight (a write it left may still land, fenced like any
/// slow write): a renewal interrupted between (a) and (c) stays pending and the next leader
/// reconciles it.
///
/// Bad rows (negative price, unknown currency or interval, ...) are logged, counted and listed in
/// the ``RenewalReport``, and skipped. Not guaranteed: exactly-once toward a provider that does not
/// honour idempotency keys or whose lookups miss charges it made (Stripe's search lags by up to a
/// minute, well inside any retention window), or whose key retention is shorter than declared.
public final class RenewalEngine: Sendable {
    /// How the engine paces itself.
    public let configuration: Configuration
    let store: any BillingStore
    private let provider: any PaymentProvider
    let billingClock: any BillingClock
    let clock: SleepClock
    private let limiter: RateLimiter
    let logger: Logger
    private let metrics: RenewalMetrics

    /// Creates an engine.
    /// - Parameters:
    ///   - store: The billing database.
    ///   - provider: The payment provider.
    ///   - billingClock: The agreed "now" for due decisions (``DatabaseBillingClock`` in production).
    ///   - configuration: Batch size, concurrency, rate limit, retries, dunning; validated here.
    ///   - clock: The clock all waits are measured on; `ContinuousClock` by default.
    ///   - logger: Receives a summary of each busy pass at `info`, bad rows and fencing at `warning`/`error`.
    ///   - metricsFactory: Where the metrics listed in `RenewalMetrics` go; the global one by default.
    /// - Throws: ``BillingError/Code/invalidConfiguration``, also when the provider keeps keys no
    ///   longer than ``Configuration/keyReplaySafetyMargin``.
    public init(
        store: any BillingStore,
        provider: any PaymentProvider,
        billingClock: any BillingClock,
        configuration: Configuration = .default,
        clock: some Clock<Duration> = ContinuousClock(),
        logger: Logger,
        metricsFactory: any MetricsFactory = MetricsSystem.factory
    ) throws {
        try configuration.validate()
        guard provider.idempotencyKeyRetention > configuration.keyReplaySafetyMargin else {
            throw BillingError(
                code: .invalidConfiguration,
                message:
                    "renewal engine configuration: keyReplaySafetyMargin (\(configuration.keyReplaySafetyMargin)) must be shorter than the provider's idempotency-key retention (\(provider.idempotencyKeyRetention))"
            )
        }
        self.configuration = configuration
        self.store = store
        self.provider = provider
        self.billingClock = billingClock
        self.clock = SleepClock(clock)
        self.limiter = RateLimiter(
            ratePerSecond: configuration.providerRequestsPerSecond, burst: configuration.providerBurst, clock: self.clock)
        self.logger = logger
        self.metrics = RenewalMetrics(factory: metricsFactory)
    }

    /// Runs passes while `leadership` holds: the body to give `Election.withLeadership`.
    /// Checks the leadership right before every provider call and store write.
    public func run(leadership: Leadership) async throws {
        try await run(fence: Fence(leadership), checkLeadership: { try leadership.checkValid() })
    }

    /// Runs a pass, waits ``Configuration/passInterval``, and again, until cancelled, in one
    /// ``RenewalSession``: a pass starts beside the stragglers of earlier ones.
    ///
    /// A pass that fails for a transient reason (database unreachable) is logged and retried after
    /// the interval. Throws ``BillingError/Code/staleFencingToken`` (stop: another leader took
    /// over), ``BillingError/Code/providerFailure`` (stop: fix the provider configuration), errors of
    /// `checkLeadership`, or `CancellationError`.
    public func run(fence: Fence, checkLeadership: @escaping @Sendable () throws -> Void = {}) async throws {
        try await withSession(fence: fence, checkLeadership: checkLeadership) { session in
            while true {
                try Task.checkCancellation()
                do {
                    try await session.runPass()
                } catch let error as BillingError where error.code == .storeUnavailable {
                    self.logger.warning(
                        "renewal pass failed; retrying after \(self.configuration.passInterval)", metadata: ["error": "\(error)"])
                }
                try await self.clock.sleep(for: self.configuration.passInterval)
            }
        }
    }

    /// One pass on its own: claim the fence, reconcile unresolved charges, renew everything due
    /// now, and return when every renewal it started has ended.
    /// - Parameters:
    ///   - fence: The election and token every write carries.
    ///   - checkLeadership: Called right before every provider call and store write; throw to stop.
    /// - Returns: What the pass did.
    /// - Throws: ``BillingError/Code/staleFencingToken``, ``BillingError/Code/storeUnavailable``,
    ///   ``BillingError/Code/providerFailure``, errors of `checkLeadership`, `CancellationError`.
    @discardableResult
    public func runPass(fence: Fence, checkLeadership: @escaping @Sendable () throws -> Void = {}) async throws -> RenewalReport {
        try await withSession(fence: fence, checkLeadership: checkLeadership) { try await $0.runPass(grace: nil) }
    }

    /// Runs `body` with a ``RenewalSession`` for `fence`: passes of its ``RenewalSession/runPass()``
    /// share one concurrency limit and start beside each other's stragglers.
    ///
    /// When `body` returns, the renewals still in flight run to their end before this returns.
    /// When `body` throws or the task is cancelled, they are cancelled. When a renewal fails for
    /// a reason that ends the session (stale token, refused provider, lost leadership), `body` is
    /// cancelled and that error is thrown.
    public func withSession<Result: Sendable>(
        fence: Fence,
        checkLeadership: @escaping @Sendable () throws -> Void = {},
        _ body: @escaping @Sendable (RenewalSession) async throws -> Result
    ) async throws -> Result {
        let (jobs, queue) = AsyncStream.makeStream(of: RenewalSession.Job.self)
        let session = RenewalSession(engine: self, fence: fence, checkLeadership: checkLeadership, jobs: queue)
        // Children: the worker that runs the renewals (nil when it ends) and the body (its result).
        return try await withThrowingTaskGroup(of: Result?.self) { group in
            group.addTask {
                try await withThrowingDiscardingTaskGroup { renewals in
                    for await job in jobs {
                        renewals.addTask { try await job() }
                    }
                }
                return nil
            }
            group.addTask {
                // No pass starts a renewal after the body ends; the worker finishes those running.
                defer { queue.finish() }
                return .some(try await body(session))
            }
            // The first error (the body's, or a renewal's that ends the session) cancels the rest.
            var result: Result?
            while let ended = try await group.next() {
                if let value = ended { result = value }
            }
            guard let result else { throw CancellationError() }
            return result
        }
    }

    /// Runs a fenced store write after `checkLeadership`, counting a stale-token rejection.
    func fenced<T>(_ fence: Fence, _ checkLeadership: () throws -> Void, _ write: () async throws -> T) async throws -> T {
        do {
            try checkLeadership()
            return try await write()
        } catch let error as BillingError where error.code == .staleFencingToken {
            metrics.fencedRejections.increment()
            logger.error(
                "the billing store rejected this leader's fencing token; stopping", metadata: ["fence": "\(fence)", "error": "\(error)"])
            throw error
        }
    }

    /// The context of one pass, shared by its concurrent renewals, and the way its renewal steps
    /// reach the store.
    struct Pass: Sendable {
        let engine: RenewalEngine
        let fence: Fence
        /// The billing clock when the pass began.
        let now: Timestamp
        /// The engine's clock when the billing clock was asked, so that ``billingTime()`` can move
        /// `now` on.
        private let askedAt: Duration
        let checkLeadership: @Sendable () throws -> Void
        /// Group commit of steps (a) and (c) when the store writes batches cheaper than rows
        /// (``BillingStore/writesInBatches``); nil: every write goes alone.
        private let begins: WriteBatcher<ChargeIntent, Charge>?
        private let records: WriteBatcher<RenewalRecord, Void>?

        init(
            engine: RenewalEngine, fence: Fence, now: Timestamp, askedAt: Duration, checkLeadership: @escaping @Sendable () throws -> Void
        ) {
            self.engine = engine
            self.fence = fence
            self.now = now
            self.askedAt = askedAt
            self.checkLeadership = checkLeadership
            let store = engine.store
            if store.writesInBatches {
                begins = WriteBatcher { try await store.beginCharges($0, fence: fence, at: now) }
                records = WriteBatcher { try await store.recordRenewals($0, fence: fence, at: now) }
            } else {
                begins = nil
                records = nil
            }
        }

        /// The billing time now: the pass's reading moved on by the time since it was asked for,
        /// without another round trip to the database (so at most that round trip late, never
        /// early). A decline is dated by it, so that its dunning retry waits the schedule's gap
        /// from the decline, not from the start of a pass that ran long (a slow provider, a
        /// paused database).
        func billingTime() -> Timestamp {
            now + max(.zero, engine.clock.now() - askedAt)
        }

        /// Step (a), fenced: writes the pending charge of `intent` (see ``BillingStore/beginCharge(_:fence:at:)``).
        func beginCharge(_ intent: ChargeIntent) async throws -> Charge {
            try await engine.fenced(fence, checkLeadership) {
                if let begins { return try await begins.submit(intent) }
                return try await engine.store.beginCharge(intent, fence: fence, at: now)
            }
        }

        /// Step (c), fenced: records an outcome (see ``BillingStore/recordRenewal(_:fence:at:)``).
        func recordRenewal(_ record: RenewalRecord) async throws {
            try await engine.fenced(fence, checkLeadership) {
                if let records { return try await records.submit(record) }
                try await engine.store.recordRenewal(record, fence: fence, at: now)
            }
        }
    }

    // MARK: One subscription

    /// Resolves one pending or unknown charge from an earlier pass.
    func reconcile(_ charge: Charge, pass: Pass, now: Timestamp) async throws -> RenewalReport {
        var report = RenewalReport(now: now)
        guard let row = try await store.subscription(id: charge.subscriptionID) else {
            report.badRows.append(.init(subscriptionID: charge.subscriptionID, reason: "has an unresolved charge but no subscription row"))
            metrics.badRows.increment()
            return report
        }
        let subscription: Subscription
        do {
            subscription = try row.validated()
        } catch {
            reportBadRow(row.id, error, into: &report)
            return report
        }
        guard let decision = try await settleOpen(charge, of: subscription, pass: pass, now: now) else { return report }
        // Reconciled: settled or parked; not a charge that still waits (for an answer, a bank, a customer).
        let stillWaits = [.unknown, .deferred, .processing, .actionRequired].contains(decision.kind)
        if try await apply(decision, pass: pass, now: now, into: &report), !stillWaits {
            report.reconciled += 1
            metrics.reconciled.increment()
        }
        return report
    }

    /// Renews one due subscription: every due period in order, until it is paid up, fails, or ends.
    func renew(_ row: StoredSubscription, pass: Pass, now: Timestamp) async throws -> RenewalReport {
        var report = RenewalReport(now: now)
        var subscription: Subscription
        do {
            subscription = try row.validated()
        } catch {
            reportBadRow(row.id, error, into: &report)
            return report
        }
        while subscription.isDue(at: now) {
            try Task.checkCancellation()
            if subscription.status == .active && subscription.cancelAtPeriodEnd {
                let end = RenewalRecord(
                    subscriptionID: subscription.id, periodStart: subscription.currentPeriodEnd, charge: nil,
                    subscription: SubscriptionTransition(
                        expectedPeriodEnd: subscription.currentPeriodEnd, expectedFailedAttempts: 0, expectedVersion: subscription.version,
                        status: .canceled, currentPeriodStart: subscription.currentPeriodStart,
                        currentPeriodEnd: subscription.currentPeriodEnd, retry: nil
                    )
                )
                if try await write(end, pass: pass, now: now, into: &report) { report.endedAtPeriodEnd += 1 }
                return report
            }
            let periodStart = subscription.currentPeriodEnd
            // A scheduled plan change takes effect with this period (its first renewal charges it).
            let plan = subscription.nextPeriodPlan
            let periodEnd = try BillingCalendar.periodEnd(
                startingAt: periodStart, anchor: subscription.nextPeriodAnchor, interval: plan.interval)
            let attempt = (subscription.retry?.failedAttempts ?? 0) + 1
            let intent = ChargeIntent(
                subscriptionID: subscription.id, periodStart: periodStart, periodEnd: periodEnd,
                idempotencyKey: Subscription.idempotencyKey(subscriptionID: subscription.id, periodStart: periodStart, attempt: attempt),
                amount: plan.price, customer: subscription.customer, paymentMethod: subscription.paymentMethod,
                attempt: attempt
            )
            // (a) The pending charge, before the provider hears of it.
            let charge = try await pass.beginCharge(intent)
            // (b) The provider, asked with the row's key (an earlier attempt's, if one is open).
            var decision: RenewalDecision
            switch charge.status {
            case .pending, .unknown:
                guard let settled = try await settleOpen(charge, of: subscription, pass: pass, now: now) else { return report }
                decision = settled
            case .succeeded:
                // Recorded but not applied: cannot happen with atomic step (c); repair by applying.
                decision = RenewalDecision.decide(
                    subscription: subscription, charge: charge, outcome: .succeeded(reference: charge.providerReference ?? ""),
                    now: now, dunning: configuration.dunning, retryOpenAt: now
                )
                decision.record?.charge = nil
            case .failed:
                // This attempt's decline is recorded; it is never sent again within its dunning step.
                decision = RenewalDecision.decide(
                    subscription: subscription, charge: charge,
                    outcome: .declined(
                        code: charge.failureCode ?? "failed", declineCode: nil, message: "recorded earlier", hard: false,
                        reference: charge.providerReference),
                    now: now, dunning: configuration.dunning, retryOpenAt: now
                )
                decision.record?.charge = nil
            }
            // (c) The outcome and the subscription's next state, in one fenced transaction.
            guard try await apply(decision, pass: pass, now: now, into: &report),
                decision.kind == .charged, let change = decision.record?.subscription
            else { return report }
            // The store applied a scheduled plan with the period it charged; so does this copy.
            if change.appliesPendingPlan, let pending = subscription.pendingPlan {
                subscription.billingCycleAnchor = subscription.nextPeriodAnchor
                subscription.plan = pending
                subscription.pendingPlan = nil
            }
            subscription.status = change.status
            subscription.currentPeriodStart = change.currentPeriodStart
            subscription.currentPeriodEnd = change.currentPeriodEnd
            subscription.retry = change.retry
            subscription.version += 1
        }
        return report
    }

    /// What to record for an open charge, asking the provider as its key allows; nil when it is
    /// not this round's to settle (parked for an operator, or waiting out its back-off).
    ///
    /// Within the provider's retention of the key (less ``Configuration/keyReplaySafetyMargin``,
    /// counted from ``Charge/keySentAt``) the key is replayed. Past it the key is never sent
    /// blindly: the charge is looked up by its references and settled from what is found; found
    /// nowhere, the key provably never applied and is sent anew with a new send time, written
    /// first; a lookup that is impossible or ambiguous parks the charge. A charge settling at the
    /// provider (``Charge/isSettlingAtProvider``) is only looked up, whatever its key's age.
    private func settleOpen(_ charge: Charge, of subscription: Subscription, pass: Pass, now: Timestamp) async throws -> RenewalDecision? {
        guard charge.reviewReason == nil else { return nil }
        if let next = charge.nextSendAt, next > now { return nil }
        let retryOpenAt = now + configuration.openChargeBackoff(failures: charge.sendFailures + 1)
        let lookUpAt = now + configuration.settlementLookupInterval
        func decide(_ outcome: ChargeOutcome) -> RenewalDecision {
            RenewalDecision.decide(
                subscription: subscription, charge: charge, outcome: outcome, now: pass.billingTime(), dunning: configuration.dunning,
                retryOpenAt: retryOpenAt, lookUpAt: lookUpAt)
        }
        // A charge the provider accepted and settles later is never re-sent: its key would replay
        // the first (stale) answer, a new one could charge twice. Past the key's retention it is
        // not re-sent blindly either. Both are looked up instead.
        let replayableUntil = charge.keySentAt.map { $0 + (provider.idempotencyKeyRetention - configuration.keyReplaySafetyMargin) }
        if let replayableUntil, now < replayableUntil, !charge.isSettlingAtProvider {
            return try await send(charge, pass: pass, decide: decide)
        }
        let lookup: ChargeLookupResult
        do {
            lookup = try await lookUp(charge, pass: pass)
        } catch let error as PaymentError {
            guard !Self.stopsTheEngine(error) else { throw Self.providerFailure(error, charge: charge) }
            let why = charge.isSettlingAtProvider ? "the provider settles it later" : "the provider may have forgotten its key"
            return RenewalDecision.park(
                charge: charge,
                reason: "lookup_failed: \(charge.idempotencyKey) must be looked up (\(why)) and could not be (\(error.message))")
        }
        switch lookup {
        case .found(let outcome):
            return decide(outcome)
        case .ambiguous(let message):
            return RenewalDecision.park(charge: charge, reason: "lookup_ambiguous: \(message)")
        case .unavailable(let message):
            return decide(.retryable(message: message))
        case .notFound where charge.isSettlingAtProvider:
            // The provider accepted it, so its search has not caught up yet: never re-sent.
            return decide(.unknown(message: "the provider's search does not show \(charge.idempotencyKey) yet"))
        case .notFound:
            // Never applied: the key is sent anew, its new window written before it goes.
            let restart = ChargeUpdate(
                idempotencyKey: charge.idempotencyKey, status: charge.status, failureCode: "key_resent_after_lookup", keySentAt: now)
            do {
                try await pass.recordRenewal(
                    RenewalRecord(
                        subscriptionID: charge.subscriptionID, periodStart: charge.periodStart, charge: restart, subscription: nil))
            } catch let error as BillingError where error.code == .concurrentModification {
                return nil  // Settled or parked meanwhile (an operator, another pass): nothing to send.
            }
            logger.notice("the provider holds no charge for an expired key; sending it anew", metadata: ["key": "\(charge.idempotencyKey)"])
            return try await send(charge, pass: pass, decide: decide)
        }
    }

    /// Sends `charge`'s key and decides from the answer; a request the provider rejects as such parks the charge.
    private func send(_ charge: Charge, pass: Pass, decide: (ChargeOutcome) -> RenewalDecision) async throws -> RenewalDecision {
        let outcome: ChargeOutcome
        do {
            outcome = try await callProvider(for: charge, pass: pass)
        } catch let error as PaymentError {
            guard !Self.stopsTheEngine(error) else { throw Self.providerFailure(error, charge: charge) }
            logger.error(
                "the provider rejected one charge; parked for review, billing goes on",
                metadata: ["key": "\(charge.idempotencyKey)", "error": "\(error)"])
            return RenewalDecision.park(charge: charge, reason: "provider_rejected: \(error.message)")
        }
        return decide(outcome)
    }

    /// Whether a provider error concerns every charge (credentials, configuration), so that the
    /// engine stops, rather than the one request (which is parked).
    static func stopsTheEngine(_ error: PaymentError) -> Bool {
        [.authenticationFailed, .missingCredentials, .invalidConfiguration, .permissionDenied].contains(error.code)
    }

    static func providerFailure(_ error: PaymentError, charge: Charge) -> BillingError {
        BillingError(
            code: .providerFailure,
            message:
                "the payment provider refused the charge \(charge.idempotencyKey): \(error.message); fix the provider configuration, then restart billing (the charge stays open and is reconciled)",
            cause: error
        )
    }

    /// Writes a decision and counts it. Returns whether it was written.
    private func apply(_ decision: RenewalDecision, pass: Pass, now: Timestamp, into report: inout RenewalReport) async throws -> Bool {
        guard let record = decision.record else {
            report.deferred += 1
            return false
        }
        guard try await write(record, pass: pass, now: now, into: &report) else { return false }
        if decision.wasDeclined {
            report.declined += 1
            metrics.declined.increment()
        }
        switch decision.kind {
        case .charged:
            report.charged += 1
            metrics.charged.increment()
            if record.charge?.reviewReason != nil {
                report.refundReviews += 1
                metrics.refundReviews.increment()
                logger.warning(
                    "a charge succeeded on a canceled subscription; flagged for a refund review",
                    metadata: ["key": "\(record.charge?.idempotencyKey ?? "")"])
            }
        case .needsReview:
            report.parkedForReview += 1
            metrics.parkedForReview.increment()
        case .retryScheduled:
            report.retriesScheduled += 1
            metrics.retried.increment()
        case .canceledForNonPayment:
            report.canceledForNonPayment += 1
            metrics.failed.increment()
        case .unknown:
            report.unknown += 1
            metrics.unknown.increment()
        case .deferred:
            report.deferred += 1
        case .processing:
            report.settlingAtProvider += 1
            metrics.processing.increment()
        case .actionRequired:
            report.actionRequired += 1
            metrics.actionRequired.increment()
        }
        return true
    }

    /// Step (c)'s transaction. A concurrent change is counted and skipped; returns whether it was written.
    private func write(_ record: RenewalRecord, pass: Pass, now: Timestamp, into report: inout RenewalReport) async throws -> Bool {
        do {
            try await pass.recordRenewal(record)
            return true
        } catch let error as BillingError where error.code == .concurrentModification {
            logger.warning("renewal not recorded: \(error.message)", metadata: ["subscription": "\(record.subscriptionID)"])
            report.conflicts += 1
            return false
        }
    }

    private func reportBadRow(_ id: String, _ error: BillingError, into report: inout RenewalReport) {
        logger.warning("skipping a subscription that cannot be billed", metadata: ["subscription": "\(id)", "reason": "\(error.message)"])
        metrics.badRows.increment()
        report.badRows.append(.init(subscriptionID: id, reason: error.message))
    }

    // MARK: Provider

    /// Asks the provider for `charge`, under the rate limit, retrying rate limits and transient
    /// faults within bounds. Every call carries the charge row's key, amount and references.
    private func callProvider(for charge: Charge, pass: Pass) async throws -> ChargeOutcome {
        let request = Self.request(for: charge)
        var rateLimited = 0
        var transient = 0
        while true {
            try await limiter.acquire()
            try pass.checkLeadership()
            Failpoint.beforeProviderCall.reach()
            let started = clock.now()
            let outcome = try await provider.charge(request)
            metrics.providerLatency.recordNanoseconds(max(0, (clock.now() - started).nanoseconds))
            switch outcome {
            case .rateLimited(let retryAfter):
                rateLimited += 1
                let pause = retryAfter ?? configuration.backoff(retry: rateLimited)
                limiter.pause(for: pause)
                guard rateLimited <= configuration.maxRateLimitRetries else { return outcome }
                metrics.rateLimitedRetries.increment()
                logger.debug(
                    "provider rate-limited a charge; pausing all requests",
                    metadata: ["key": "\(charge.idempotencyKey)", "pause": "\(pause)"])
            case .retryable(let message):
                transient += 1
                guard transient <= configuration.maxTransientRetries else { return outcome }
                metrics.transientRetries.increment()
                logger.debug(
                    "provider failed transiently; retrying with the same key",
                    metadata: ["key": "\(charge.idempotencyKey)", "message": "\(message)"])
                try await clock.sleep(for: configuration.backoff(retry: transient))
            default:
                return outcome
            }
        }
    }

    /// What the provider is asked for `charge`: its row's key, amount and references; the same
    /// on every round, so that a replay matches the first request.
    public static func request(for charge: Charge) -> ChargeRequest {
        ChargeRequest(
            idempotencyKey: charge.idempotencyKey, amountMinor: charge.amount.minorUnits, currency: charge.amount.currency.code,
            customer: charge.customer, paymentMethod: charge.paymentMethod,
            metadata: [
                "subscription_id": charge.subscriptionID, "period_start": charge.periodStart.iso8601, "attempt": String(charge.attempts),
            ]
        )
    }

    /// Looks `charge` up at the provider, under the rate limit, without charging.
    private func lookUp(_ charge: Charge, pass: Pass) async throws -> ChargeLookupResult {
        try await limiter.acquire()
        try pass.checkLeadership()
        return try await provider.lookUpCharge(Self.request(for: charge))
    }
}

extension Duration {
    /// The duration in whole nanoseconds, saturating at `Int64.max` (and `.min`).
    public var nanoseconds: Int64 {
        let (seconds, attoseconds) = components
        let (scaled, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        return overflow ? (seconds < 0 ? .min : .max) : scaled + attoseconds / 1_000_000_000
    }
}
