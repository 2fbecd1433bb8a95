import Billing
import LeaderElection

/// A billing store that logs every fenced write (with its token, start and end, and whether the
/// store accepted it) to the node's event log, then passes everything on unchanged.
struct EventLoggingStore: BillingStore {
    let base: any BillingStore
    let log: NodeEventLog

    func currentTime() async throws -> Timestamp { try await base.currentTime() }
    func saveSubscription(_ subscription: StoredSubscription) async throws { try await base.saveSubscription(subscription) }
    func subscription(id: String) async throws -> StoredSubscription? { try await base.subscription(id: id) }
    func charges(subscriptionID: String) async throws -> [Charge] { try await base.charges(subscriptionID: subscriptionID) }
    func charges(after cursor: ChargeCursor?, limit: Int) async throws -> [Charge] { try await base.charges(after: cursor, limit: limit) }
    func highestFencingToken(election: String) async throws -> FencingToken? { try await base.highestFencingToken(election: election) }
    func claimFence(_ fence: Fence) async throws { try await base.claimFence(fence) }
    func dueSubscriptions(at now: Timestamp, after cursor: DueCursor?, limit: Int) async throws -> [StoredSubscription] {
        try await base.dueSubscriptions(at: now, after: cursor, limit: limit)
    }
    func unresolvedCharges(after cursor: ChargeCursor?, limit: Int) async throws -> [Charge] {
        try await base.unresolvedCharges(after: cursor, limit: limit)
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
            let value = try await write()
            log.append(.write, token: fence.token.rawValue, startMs: start, operation: operation, subscription: subscription,
                       periodStartMs: periodStart.millisecondsSinceEpoch, result: "accepted")
            return value
        } catch {
            let stale = (error as? BillingError)?.code == .staleFencingToken
            log.append(.write, token: fence.token.rawValue, startMs: start, operation: operation, subscription: subscription,
                       periodStartMs: periodStart.millisecondsSinceEpoch, result: stale ? "stale" : "failed", detail: stale ? nil : "\(error)")
            throw error
        }
    }
}
