import Billing
import LeaderElection

/// The billing store as the node's engine sees it: every call is counted in ``StoreProgress``
/// (so that a leader that cannot reach the database steps down), and every fenced write is
/// logged with its token, start, end and whether the store accepted it, when the node keeps an
/// event log (a batch write as one write per row). Everything is passed on unchanged.
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
    func saveSubscription(_ subscription: StoredSubscription) async throws {
        try await tracked { try await base.saveSubscription(subscription) }
    }
    func createSubscription(_ subscription: StoredSubscription, recording: RecordedCreation?) async throws {
        try await tracked { try await base.createSubscription(subscription, recording: recording) }
    }
    func recordedCreation(idempotencyKey: String) async throws -> RecordedCreation? {
        try await tracked { try await base.recordedCreation(idempotencyKey: idempotencyKey) }
    }
    func changeSubscription(id: String, ifVersion: Int64?, _ change: SubscriptionChange) async throws -> StoredSubscription {
        try await tracked { try await base.changeSubscription(id: id, ifVersion: ifVersion, change) }
    }
    func recordWebhook(_ delivery: WebhookDelivery, settling record: RenewalRecord?) async throws -> WebhookSettlement {
        try await tracked { try await base.recordWebhook(delivery, settling: record) }
    }
    func charge(idempotencyKey: String) async throws -> Charge? {
        try await tracked { try await base.charge(idempotencyKey: idempotencyKey) }
    }
    func events(after sequence: Int64?, subscriptionID: String?, limit: Int) async throws -> [BillingEvent] {
        try await tracked { try await base.events(after: sequence, subscriptionID: subscriptionID, limit: limit) }
    }
    func deliverableEvents(at now: Timestamp, limit: Int) async throws -> [BillingEvent] {
        try await tracked { try await base.deliverableEvents(at: now, limit: limit) }
    }
    func markEventsDelivered(_ sequences: [Int64], at now: Timestamp) async throws {
        try await tracked { try await base.markEventsDelivered(sequences, at: now) }
    }
    func markEventFailed(_ sequence: Int64, error: String, retryAt: Timestamp) async throws {
        try await tracked { try await base.markEventFailed(sequence, error: error, retryAt: retryAt) }
    }
    func requeueEvents(from first: Int64, through last: Int64, subscriptionID: String?, at now: Timestamp) async throws -> Int {
        try await tracked { try await base.requeueEvents(from: first, through: last, subscriptionID: subscriptionID, at: now) }
    }
    func outboxBacklog() async throws -> OutboxBacklog { try await tracked { try await base.outboxBacklog() } }
    func pruneEvents(deliveredBefore instant: Timestamp) async throws -> Int {
        try await tracked { try await base.pruneEvents(deliveredBefore: instant) }
    }
    func subscriptions(status: String?, after: String?, limit: Int) async throws -> [StoredSubscription] {
        try await tracked { try await base.subscriptions(status: status, after: after, limit: limit) }
    }
    func chargesInReview(limit: Int) async throws -> [Charge] { try await tracked { try await base.chargesInReview(limit: limit) } }
    func countChargesInReview() async throws -> Int { try await tracked { try await base.countChargesInReview() } }
    func resolveCharge(_ resolution: ChargeResolution) async throws -> Charge {
        try await tracked { try await base.resolveCharge(resolution) }
    }
    func subscription(id: String) async throws -> StoredSubscription? { try await tracked { try await base.subscription(id: id) } }
    func charges(subscriptionID: String) async throws -> [Charge] {
        try await tracked { try await base.charges(subscriptionID: subscriptionID) }
    }
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
    func unresolvedCharges(readyAt: Timestamp?, after cursor: ChargeCursor?, limit: Int) async throws -> [Charge] {
        try await tracked { try await base.unresolvedCharges(readyAt: readyAt, after: cursor, limit: limit) }
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

    var writesInBatches: Bool { base.writesInBatches }

    func beginCharges(_ intents: [ChargeIntent], fence: Fence, at now: Timestamp) async throws -> [Result<Charge, any Error>] {
        try await loggedBatch("begin_charge", fence: fence, rows: intents.map { ($0.subscriptionID, $0.periodStart) }) {
            try await base.beginCharges(intents, fence: fence, at: now)
        }
    }

    func recordRenewals(_ records: [RenewalRecord], fence: Fence, at now: Timestamp) async throws -> [Result<Void, any Error>] {
        try await loggedBatch("record_renewal", fence: fence, rows: records.map { ($0.subscriptionID, $0.periodStart) }) {
            try await base.recordRenewals(records, fence: fence, at: now)
        }
    }

    private func logged<T>(
        _ operation: String, fence: Fence, subscription: String, periodStart: Timestamp, _ write: () async throws -> T
    ) async throws -> T {
        let start = NodeEventLog.realNowMs()
        do {
            let value = try await tracked(write)
            logWrite(operation, fence: fence, subscription: subscription, periodStart: periodStart, startMs: start, error: nil)
            return value
        } catch {
            logWrite(operation, fence: fence, subscription: subscription, periodStart: periodStart, startMs: start, error: error)
            throw error
        }
    }

    /// A batch write is logged as one write per row, each with the batch's start and its own result.
    private func loggedBatch<T>(
        _ operation: String, fence: Fence, rows: [(subscription: String, periodStart: Timestamp)],
        _ write: () async throws -> [Result<T, any Error>]
    ) async throws -> [Result<T, any Error>] {
        let start = NodeEventLog.realNowMs()
        do {
            let results = try await tracked(write)
            for (row, result) in zip(rows, results) {
                let error: (any Error)? = if case .failure(let error) = result { error } else { nil }
                logWrite(
                    operation, fence: fence, subscription: row.subscription, periodStart: row.periodStart, startMs: start, error: error)
            }
            return results
        } catch {
            for row in rows {
                logWrite(
                    operation, fence: fence, subscription: row.subscription, periodStart: row.periodStart, startMs: start, error: error)
            }
            throw error
        }
    }

    private func logWrite(
        _ operation: String, fence: Fence, subscription: String, periodStart: Timestamp, startMs: Int64, error: (any Error)?
    ) {
        let (result, detail): (String, String?) =
            switch error {
            case nil: ("accepted", nil)
            case let error as BillingError where error.code == .staleFencingToken: ("stale", nil)
            case let error?: ("failed", "\(error)")
            }
        log?.append(
            .write, token: fence.token.rawValue, startMs: startMs, operation: operation, subscription: subscription,
            periodStartMs: periodStart.millisecondsSinceEpoch, result: result, detail: detail)
    }
}
