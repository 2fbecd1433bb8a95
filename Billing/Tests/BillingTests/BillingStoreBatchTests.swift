import Billing
import LeaderElection
import Testing

/// The batch writes of the store contract (one statement per batch on PostgreSQL, row by row on
/// SQLite): each row decided as it would be alone, the fence checked for the whole batch.
struct BillingStoreBatchTests {
    let now = Fixtures.time("2025-02-28T00:00:00Z")

    /// Saves subscriptions `a`, `b` and `c` (due now) and returns their intents.
    private func seed(_ store: any BillingStore) async throws -> [ChargeIntent] {
        let subscriptions = ["a", "b", "c"].map { Fixtures.subscription($0) }
        for subscription in subscriptions {
            try await store.saveSubscription(subscription.stored)
        }
        return subscriptions.map { Fixtures.intent(for: $0) }
    }

    private func advance(_ intent: ChargeIntent, reference: String) -> RenewalRecord {
        RenewalRecord(
            subscriptionID: intent.subscriptionID, periodStart: intent.periodStart,
            charge: ChargeUpdate(idempotencyKey: intent.idempotencyKey, status: .succeeded, providerReference: reference),
            subscription: SubscriptionTransition(
                expectedPeriodEnd: intent.periodStart, expectedFailedAttempts: 0, expectedVersion: 0, status: .active,
                currentPeriodStart: intent.periodStart, currentPeriodEnd: intent.periodEnd, retry: nil
            )
        )
    }

    @Test(arguments: StoreKind.available)
    func aBatchWritesEveryRowAndAConflictFailsOnlyItsOwn(_ kind: StoreKind) async throws {
        try await withTestStore(kind) { store in
            let intents = try await seed(store)
            let fence = Fixtures.fence(1)
            try await store.claimFence(fence)
            // `c` already has its charge (an earlier leader's): the batch returns that row as it is.
            let earlier = try await store.beginCharge(intents[2], fence: fence, at: now + .seconds(-60))
            let begun = try await store.beginCharges(intents, fence: fence, at: now)
            let charges = try begun.map { try $0.get() }
            #expect(charges.map(\.subscriptionID) == ["a", "b", "c"])
            #expect(charges.allSatisfy { $0.status == .pending && $0.fencingToken == FencingToken(1) })
            #expect(charges.map(\.idempotencyKey) == intents.map(\.idempotencyKey))
            #expect(charges[2].createdAt == earlier.createdAt)

            // `b`'s record expects a failed attempt its subscription does not have (as if the row
            // changed meanwhile): only its renewal fails, and writes nothing.
            var records = intents.map { advance($0, reference: "pi_\($0.subscriptionID)") }
            records[1].subscription?.expectedFailedAttempts = 1
            // `c`'s record carries a key that is not its charge's: only it fails.
            records[2].charge?.idempotencyKey = "renewal:c:other"
            let recorded = try await store.recordRenewals(records, fence: fence, at: now)
            #expect(recorded.count == 3)
            #expect(throws: Never.self) { try recorded[0].get() }
            for index in [1, 2] {
                #expect {
                    try recorded[index].get()
                } throws: { ($0 as? BillingError)?.code == .concurrentModification }
            }
            #expect(try await store.subscription(id: "a")?.currentPeriodEnd == intents[0].periodEnd)
            #expect(try await store.charges(subscriptionID: "a").map(\.status) == [.succeeded])
            #expect(try await store.charges(subscriptionID: "a").first?.providerReference == "pi_a")
            for id in ["b", "c"] {
                #expect(try await store.subscription(id: id)?.currentPeriodEnd == Fixtures.subscription(id).currentPeriodEnd)
                #expect(try await store.charges(subscriptionID: id).map(\.status) == [.pending])
            }
        }
    }

    @Test(arguments: StoreKind.available)
    func aStaleFenceRejectsTheWholeBatch(_ kind: StoreKind) async throws {
        try await withTestStore(kind) { store in
            let intents = try await seed(store)
            try await store.claimFence(Fixtures.fence(5))
            let begun = try await store.beginCharges(intents, fence: Fixtures.fence(4), at: now)
            #expect(begun.count == 3)
            for result in begun {
                #expect { try result.get() } throws: { ($0 as? BillingError)?.code == .staleFencingToken }
            }
            #expect(try await store.unresolvedCharges(after: nil, limit: 10).isEmpty, "the stale batch wrote nothing")

            _ = try await store.beginCharges(intents, fence: Fixtures.fence(5), at: now)
            let records = intents.map { advance($0, reference: "pi_\($0.subscriptionID)") }
            let recorded = try await store.recordRenewals(records, fence: Fixtures.fence(3), at: now)
            for result in recorded {
                #expect { try result.get() } throws: { ($0 as? BillingError)?.code == .staleFencingToken }
            }
            #expect(try await store.unresolvedCharges(after: nil, limit: 10).count == 3)
            for intent in intents {
                #expect(try await store.subscription(id: intent.subscriptionID)?.currentPeriodEnd == intent.periodStart)
            }
        }
    }

    @Test(arguments: StoreKind.available)
    func aNewerFenceInABatchRaisesTheStoredOne(_ kind: StoreKind) async throws {
        try await withTestStore(kind) { store in
            let intents = try await seed(store)
            try await store.claimFence(Fixtures.fence(1))
            let begun = try await store.beginCharges(intents, fence: Fixtures.fence(2), at: now)
            #expect(try begun.map { try $0.get().fencingToken } == Array(repeating: FencingToken(2), count: 3))
            #expect(try await store.highestFencingToken(election: Fixtures.election) == FencingToken(2))
            let records = intents.map { advance($0, reference: "pi_\($0.subscriptionID)") }
            let recorded = try await store.recordRenewals(records, fence: Fixtures.fence(3), at: now)
            #expect(throws: Never.self) { try recorded.forEach { try $0.get() } }
            #expect(try await store.highestFencingToken(election: Fixtures.election) == FencingToken(3))
            #expect(try await store.unresolvedCharges(after: nil, limit: 10).isEmpty)
        }
    }
}
