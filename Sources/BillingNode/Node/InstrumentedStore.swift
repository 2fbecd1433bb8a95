import Billing
import LeaderElection

/// The billing store as the node's engine sees it: every call is counted in ``StoreProgress``
/// (so that a leader that cannot reach the database steps down), and every fenced write is
/// logged with its token, start, end and whether the store accepted it, when the node keeps an
/// event log. Everything is passed on unchanged.
struct InstrumentedStore: BillingStore {
    let base: any BillingStore
    let progress: StoreProgress
    let log: NodeEventLog?

    private func tracked<T>(_ call: () async throws -> T) async throws -> T {
        progress.started()
        do {
            let value = try await call()
            progress.finished(.answered)
            return value
        } catch {
            progress.finished(StoreProgress.Outcome(error))
            throw error
        }
    }

    func currentTime() async throws -> Timestamp { try await tracked { try await base.currentTime() } }
    func saveSubscription(_ subscription: StoredSubscription) async throws { try await tracked { try await base.saveSubscription(subscription) } }
    func subscription(id: String) async throws -> StoredSubscription? { try await tracked { try await base.subscription(id: id) } }
    func charges(subscriptionID: String) async throws -> [Charge] { try await tracked { try await base.charges(subscriptionID: subscriptionID) } }
    func charges(after cursor: ChargeCursor?, limit: Int) async throws -> [Charge] {
        try await tracked { try await base.charges(after: cursor, limit: limit) }
    }
    func highestFencingToken(election: String) async throws -> FencingToken? {
        try await tracked { try await base.highestFencingToken(election: election) }
    }
    func claimFence(_ fence: Fence) async throws { try await tracked { try await base.claimFence(fence) } }
    func dueSubscriptions(at now: Timestamp, after cursor: DueCursor?, limit: Int) async throws -> [StoredSubscription] {
        try await tracked { try await base.dueSubscriptions(at: now, after: cursor, limit: limit) }
    }
    func unresolvedCharges(after cursor: ChargeCursor?, limit: Int) async throws -> [Charge] {
        try await tracked { try await base.unresolvedCharges(after: cursor, limit: limit) }
    }

    func beginCharge(_ intent: ChargeIntent, fence: Fence, at now: Timestamp) async throws -> Charge {
        try await logged("begin_charge", fence: fence, subscription: intent.subscriptionID, periodStart: intent.periodStart) {
            try await base.beginCharge(intent, fence: fence, at: now)
        }
    }

    func recordRenewal(_ record: RenewalRecord, fence: Fence, at now: Timestamp) async throws {
        try await logged("record_renewal", fence: fence, subscription: record.subscriptionID, periodStart: record.periodStart) {
            try await base.recordRenewal(record, fence: fence, at: now)
        }
    }

    private func logged<T>(_ operation: String, fence: Fence, subscription: String, periodStart: Timestamp, _ write: () async throws -> T) async throws -> T {
        let start = NodeEventLog.realNowMs()
        do {
            let value = try await tracked(write)
            log?.append(.write, token: fence.token.rawValue, startMs: start, operation: operation, subscription: subscription,
                        periodStartMs: periodStart.millisecondsSinceEpoch, result: "accepted")
            return value
        } catch {
            let stale = (error as? BillingError)?.code == .staleFencingToken
            log?.append(.write, token: fence.token.rawValue, startMs: start, operation: operation, subscription: subscription,
                        periodStartMs: periodStart.millisecondsSinceEpoch, result: stale ? "stale" : "failed", detail: stale ? nil : "\(error)")
            throw error
        }
    }
}
