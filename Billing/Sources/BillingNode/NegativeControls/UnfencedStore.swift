import Billing
import LeaderElection

/// ``NegativeControl/noFencing``: a store whose fence check can never fail, because every write
/// is sent with the highest possible token instead of the leader's own.
struct UnfencedStore: BillingStore {
    let base: any BillingStore

    private func unfenced(_ fence: Fence) -> Fence { Fence(election: fence.election, token: FencingToken(.max)) }

    func currentTime() async throws -> Timestamp { try await base.currentTime() }
    func saveSubscription(_ subscription: StoredSubscription) async throws { try await base.saveSubscription(subscription) }
    func createSubscription(_ subscription: StoredSubscription) async throws { try await base.createSubscription(subscription) }
    func cancelSubscription(id: String, atPeriodEnd: Bool) async throws -> StoredSubscription {
        try await base.cancelSubscription(id: id, atPeriodEnd: atPeriodEnd)
    }
    func chargesInReview(limit: Int) async throws -> [Charge] { try await base.chargesInReview(limit: limit) }
    func countChargesInReview() async throws -> Int { try await base.countChargesInReview() }
    func resolveCharge(_ resolution: ChargeResolution) async throws -> Charge { try await base.resolveCharge(resolution) }
    func subscription(id: String) async throws -> StoredSubscription? { try await base.subscription(id: id) }
    func charges(subscriptionID: String) async throws -> [Charge] { try await base.charges(subscriptionID: subscriptionID) }
    func charges(after cursor: ChargeCursor?, limit: Int) async throws -> [Charge] { try await base.charges(after: cursor, limit: limit) }
    func highestFencingToken(election: String) async throws -> FencingToken? { try await base.highestFencingToken(election: election) }
    func claimFence(_ fence: Fence) async throws { try await base.claimFence(unfenced(fence)) }
    func dueSubscriptions(at now: Timestamp, after cursor: DueCursor?, limit: Int) async throws -> [StoredSubscription] {
        try await base.dueSubscriptions(at: now, after: cursor, limit: limit)
    }
    func unresolvedCharges(after cursor: ChargeCursor?, limit: Int) async throws -> [Charge] {
        try await base.unresolvedCharges(after: cursor, limit: limit)
    }
    func beginCharge(_ intent: ChargeIntent, fence: Fence, at now: Timestamp) async throws -> Charge {
        try await base.beginCharge(intent, fence: unfenced(fence), at: now)
    }
    func recordRenewal(_ record: RenewalRecord, fence: Fence, at now: Timestamp) async throws {
        try await base.recordRenewal(record, fence: unfenced(fence), at: now)
    }
}
