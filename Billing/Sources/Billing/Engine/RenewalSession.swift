import Logging
import Synchronization

/// The renewals of one leadership term, across its passes: a pass starts beside the slow
/// renewals of earlier passes instead of waiting for them.
///
/// A renewal can take long: a provider request that hangs until its timeout, a store call behind
/// a partition. If each pass waited for its slowest renewal, newly due subscriptions would wait
/// too, and the leader's node would make no store call that could show it the database is gone.
/// So ``runPass()`` returns once its renewals have ended or ``RenewalEngine/Configuration/stragglerGrace``
/// has passed since it started the last one; those still running (stragglers) go on, the next
/// passes leave their subscriptions alone, and every pass counts toward the same limit of
/// ``RenewalEngine/Configuration/maxConcurrentRenewals``.
///
/// Made by ``RenewalEngine/withSession(fence:checkLeadership:_:)``, which ends every renewal
/// before it returns.
public final class RenewalSession: Sendable {
    /// A renewal, as the session's task group runs it.
    typealias Job = @Sendable () async throws -> Void

    private let engine: RenewalEngine
    private let fence: Fence
    private let checkLeadership: @Sendable () throws -> Void
    private let slots: RenewalSlots
    private let jobs: AsyncStream<Job>.Continuation
    /// What stragglers did after their pass settled, for the report of the next pass to settle.
    private let late: Mutex<RenewalReport?>

    init(engine: RenewalEngine, fence: Fence, checkLeadership: @escaping @Sendable () throws -> Void, jobs: AsyncStream<Job>.Continuation) {
        self.engine = engine
        self.fence = fence
        self.checkLeadership = checkLeadership
        self.slots = RenewalSlots(capacity: engine.configuration.maxConcurrentRenewals)
        self.jobs = jobs
        self.late = Mutex(nil)
    }

    /// One pass: claim the fence, reconcile unresolved charges, renew everything due now; returns
    /// once the pass's renewals have ended or the straggler grace has passed. Its report also
    /// counts stragglers of earlier passes that ended meanwhile.
    /// - Throws: ``BillingError/Code/storeUnavailable`` (try again later), `CancellationError`,
    ///   and what ends the session: ``BillingError/Code/staleFencingToken``,
    ///   ``BillingError/Code/providerFailure``, errors of `checkLeadership`.
    @discardableResult
    public func runPass() async throws -> RenewalReport {
        try await runPass(grace: engine.configuration.stragglerGrace)
    }

    /// One pass that waits for its renewals at most `grace` (nil: until all have ended).
    func runPass(grace: Duration?) async throws -> RenewalReport {
        try await engine.fenced(fence, checkLeadership) { try await engine.store.claimFence(fence) }
        // Taken before the billing clock is asked: the pass's billing time then runs ahead of the
        // database's by up to the round trip, never behind it.
        let asked = engine.clock.now()
        let now = try await engine.billingClock.now()
        let pass = RenewalEngine.Pass(engine: engine, fence: fence, now: now, askedAt: asked, checkLeadership: checkLeadership)
        let ledger = PassLedger(now: now)
        // Each subscription at most once per pass, and none that a straggler still renews.
        var seen = Set<String>()
        func claim(_ subscriptionID: String) -> Bool {
            seen.insert(subscriptionID).inserted && !slots.contains(subscriptionID)
        }

        // Phase 1: re-ask the provider about every pending or unknown charge whose wait is over.
        var chargeCursor: ChargeCursor?
        while true {
            let page = try await engine.store.unresolvedCharges(readyAt: now, after: chargeCursor, limit: engine.configuration.batchSize)
            guard let last = page.last else { break }
            chargeCursor = ChargeCursor(after: last)
            for charge in page where claim(charge.subscriptionID) {
                try await start(charge.subscriptionID, in: ledger) { try await self.engine.reconcile(charge, pass: pass, now: now) }
            }
            if page.count < engine.configuration.batchSize { break }
        }
        // Phase 2: renew every subscription due now, in due order (those reconciled above wait
        // for the next pass, which sees what their reconciliation wrote).
        var dueCursor: DueCursor?
        while true {
            let page = try await engine.store.dueSubscriptions(at: now, after: dueCursor, limit: engine.configuration.batchSize)
            guard let last = page.last else { break }
            dueCursor = DueCursor(dueAt: last.nextDueAt ?? now, subscriptionID: last.id)
            for row in page where claim(row.id) {
                try await start(row.id, in: ledger) { try await self.engine.renew(row, pass: pass, now: now) }
            }
            if page.count < engine.configuration.batchSize { break }
        }

        switch try await ledger.settle(grace: grace, clock: engine.clock) {
        case .failed(let error):
            throw error
        case .settled(var report, let stragglers):
            if let late = late.withLock({ late in
                defer { late = nil }; return late
            }) {
                report.merge(late)
            }
            let metadata: Logger.Metadata = ["now": "\(now)", "fence": "\(fence)"]
            if stragglers > 0 {
                engine.logger.info(
                    "renewal pass: \(stragglers) renewals still in flight after \(grace.map { "\($0)" } ?? "-"); the next pass starts beside them",
                    metadata: metadata)
            }
            if report.isIdle {
                engine.logger.debug("renewal pass: nothing due", metadata: metadata)
            } else {
                engine.logger.info("renewal pass: \(report)", metadata: metadata)
            }
            return report
        }
    }

    /// Starts one subscription's renewal (or reconciliation) once a slot is free.
    private func start(
        _ subscriptionID: String, in ledger: PassLedger, _ work: @escaping @Sendable () async throws -> RenewalReport
    ) async throws {
        try await slots.acquire(subscriptionID)
        ledger.started()
        let queued = jobs.yield {
            defer { self.slots.release(subscriptionID) }
            let result: Result<RenewalReport, BillingError>
            do {
                result = .success(try await work())
            } catch let error as BillingError where error.code == .storeUnavailable {
                // A pass-level failure: the pass that started it fails, or, if that pass has
                // settled, the next pass meets the unreachable store itself.
                result = .failure(error)
            } catch {
                // Any other error ends the session (a stale token, a refused provider, lost
                // leadership): no more renewals start, and the worker's loop ends, so that its
                // task group can end with this error and cancel the rest.
                self.jobs.finish()
                throw error
            }
            guard !ledger.finished(result) else { return }
            switch result {
            case .success(let report):
                self.late.withLock { late in
                    if late == nil { late = RenewalReport(now: report.now) }
                    late?.merge(report)
                }
            case .failure(let error):
                self.engine.logger.debug(
                    "renewal of \(subscriptionID) failed after its pass settled; a later pass retries it",
                    metadata: ["error": "\(error)"]
                )
            }
        }
        if case .terminated = queued {
            slots.release(subscriptionID)
            throw CancellationError()
        }
    }
}
