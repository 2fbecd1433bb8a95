import Billing
import LeaderElection
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// The store contract, against a real SQLite file and a real PostgreSQL server.
struct BillingStoreTests {
    @Test(arguments: StoreKind.available)
    func subscriptionsRoundTripAndComeDueInOrder(_ kind: StoreKind) async throws {
        try await withTestStore(kind) { store in
            let a = Fixtures.subscription("a", anchor: "2025-01-31T00:00:00Z")  // due 2025-02-28
            let b = Fixtures.subscription("b", anchor: "2025-01-15T00:00:00Z")  // due 2025-02-15
            let c = Fixtures.subscription("c", anchor: "2025-01-28T00:00:00Z")  // due 2025-02-28, after "a"
            var canceled = Fixtures.subscription("d", anchor: "2025-01-01T00:00:00Z")
            canceled.status = .canceled
            for subscription in [a, b, c, canceled] {
                try await store.saveSubscription(subscription.stored)
            }
            #expect(try await store.subscription(id: "a") == a.stored)
            #expect(try await store.subscription(id: "a")?.validated() == a)
            #expect(try await store.subscription(id: "nope") == nil)

            let now = Fixtures.time("2025-02-28T00:00:00Z")
            #expect(try await store.dueSubscriptions(at: now, after: nil, limit: 10).map(\.id) == ["b", "a", "c"])
            // Exactly-now is due, a millisecond earlier is not (case 8).
            #expect(try await store.dueSubscriptions(at: now + .milliseconds(-1), after: nil, limit: 10).map(\.id) == ["b"])
            // Paging with the cursor.
            let first = try await store.dueSubscriptions(at: now, after: nil, limit: 2)
            #expect(first.map(\.id) == ["b", "a"])
            let cursor = DueCursor(dueAt: first[1].nextDueAt!, subscriptionID: first[1].id)
            #expect(try await store.dueSubscriptions(at: now, after: cursor, limit: 2).map(\.id) == ["c"])
        }
    }

    @Test(arguments: StoreKind.available)
    func aStaleFencingTokenIsRejectedWithItsOwnError(_ kind: StoreKind) async throws {
        try await withTestStore(kind) { store in
            let subscription = Fixtures.subscription("s")
            try await store.saveSubscription(subscription.stored)
            let now = Fixtures.time("2025-02-28T00:00:00Z")
            #expect(try await store.highestFencingToken(election: Fixtures.election) == nil)
            try await store.claimFence(Fixtures.fence(5))
            #expect(try await store.highestFencingToken(election: Fixtures.election) == FencingToken(5))

            let intent = Fixtures.intent(for: subscription)
            let begin = await #expect(throws: BillingError.self) {
                try await store.beginCharge(intent, fence: Fixtures.fence(4), at: now)
            }
            #expect(begin?.code == .staleFencingToken)
            #expect(try await store.charges(subscriptionID: "s").isEmpty, "the stale write changed nothing")

            let charge = try await store.beginCharge(intent, fence: Fixtures.fence(5), at: now)
            #expect(charge.fencingToken == FencingToken(5))
            let record = RenewalRecord(
                subscriptionID: "s", periodStart: intent.periodStart,
                charge: ChargeUpdate(idempotencyKey: intent.idempotencyKey, status: .succeeded, providerReference: "pi_1"),
                subscription: nil
            )
            let recordError = await #expect(throws: BillingError.self) {
                try await store.recordRenewal(record, fence: Fixtures.fence(3), at: now)
            }
            #expect(recordError?.code == .staleFencingToken)
            #expect(try await store.charges(subscriptionID: "s").first?.status == .pending)

            // A newer leader raises the fence; the old one is out from then on.
            try await store.recordRenewal(record, fence: Fixtures.fence(7), at: now)
            #expect(try await store.highestFencingToken(election: Fixtures.election) == FencingToken(7))
            let claim = await #expect(throws: BillingError.self) { try await store.claimFence(Fixtures.fence(5)) }
            #expect(claim?.code == .staleFencingToken)
            // Fences are per election.
            try await store.claimFence(Fence(election: "other", token: FencingToken(1)))
        }
    }

    @Test(arguments: StoreKind.available)
    func beginChargeWritesOneRowPerPeriodAndReusesIt(_ kind: StoreKind) async throws {
        try await withTestStore(kind) { store in
            let subscription = Fixtures.subscription("s")
            try await store.saveSubscription(subscription.stored)
            let now = Fixtures.time("2025-02-28T00:00:00Z")
            let fence = Fixtures.fence(1)
            let intent = Fixtures.intent(for: subscription)
            let first = try await store.beginCharge(intent, fence: fence, at: now)
            #expect(first.status == .pending)
            #expect(first.idempotencyKey == "renewal:s:2025-02-28T00:00:00Z")
            #expect(first.amount == Money(minorUnits: 1999, currency: .usd))
            #expect(first.periodEnd == Fixtures.time("2025-03-31T00:00:00Z"))
            #expect(first.attempts == 1)

            // Again (a crash before the provider answered, or a new leader): the same row and key.
            var changed = intent
            changed.amount = Money(minorUnits: 1, currency: .usd)
            let again = try await store.beginCharge(changed, fence: Fixtures.fence(2), at: now + .seconds(5))
            #expect(again.idempotencyKey == first.idempotencyKey)
            #expect(again.amount == first.amount, "a retry repeats the first request exactly")
            #expect(again.createdAt == first.createdAt)

            // A failed attempt is re-armed for the next dunning attempt with its own key.
            try await store.recordRenewal(
                RenewalRecord(
                    subscriptionID: "s", periodStart: intent.periodStart,
                    charge: ChargeUpdate(idempotencyKey: intent.idempotencyKey, status: .failed, failureCode: "insufficient_funds"),
                    subscription: nil),
                fence: Fixtures.fence(2), at: now
            )
            let retry = try await store.beginCharge(
                Fixtures.intent(for: subscription, attempt: 2), fence: Fixtures.fence(2), at: now + .seconds(86_400))
            #expect(retry.status == .pending)
            #expect(retry.attempts == 2)
            #expect(retry.idempotencyKey == "renewal:s:2025-02-28T00:00:00Z:retry-1")
            #expect(retry.failureCode == nil)
            #expect(try await store.charges(subscriptionID: "s").count == 1)
            #expect(try await store.unresolvedCharges(after: nil, limit: 10).map(\.idempotencyKey) == [retry.idempotencyKey])
        }
    }

    @Test(arguments: StoreKind.available)
    func recordRenewalIsGuardedAndAtomic(_ kind: StoreKind) async throws {
        try await withTestStore(kind) { store in
            let subscription = Fixtures.subscription("s")
            try await store.saveSubscription(subscription.stored)
            let now = Fixtures.time("2025-02-28T00:00:00Z")
            let fence = Fixtures.fence(1)
            let intent = Fixtures.intent(for: subscription)
            _ = try await store.beginCharge(intent, fence: fence, at: now)
            let advance = SubscriptionTransition(
                expectedPeriodEnd: subscription.currentPeriodEnd, expectedFailedAttempts: 0, expectedVersion: 0, status: .active,
                currentPeriodStart: intent.periodStart, currentPeriodEnd: intent.periodEnd, retry: nil
            )
            let succeeded = ChargeUpdate(idempotencyKey: intent.idempotencyKey, status: .succeeded, providerReference: "pi_1")

            // The subscription changed underneath: nothing is written, not even the charge.
            var stale = advance
            stale.expectedPeriodEnd = Fixtures.time("2025-01-31T00:00:00Z")
            let conflict = await #expect(throws: BillingError.self) {
                try await store.recordRenewal(
                    RenewalRecord(subscriptionID: "s", periodStart: intent.periodStart, charge: succeeded, subscription: stale),
                    fence: fence, at: now)
            }
            #expect(conflict?.code == .concurrentModification)
            #expect(try await store.charges(subscriptionID: "s").first?.status == .pending)

            // A key that is not the row's: nothing is written.
            var otherKey = succeeded
            otherKey.idempotencyKey = "renewal:s:other"
            let keyConflict = await #expect(throws: BillingError.self) {
                try await store.recordRenewal(
                    RenewalRecord(subscriptionID: "s", periodStart: intent.periodStart, charge: otherKey, subscription: advance),
                    fence: fence, at: now)
            }
            #expect(keyConflict?.code == .concurrentModification)
            #expect(try await store.subscription(id: "s")?.currentPeriodEnd == subscription.currentPeriodEnd)

            try await store.recordRenewal(
                RenewalRecord(subscriptionID: "s", periodStart: intent.periodStart, charge: succeeded, subscription: advance), fence: fence,
                at: now)
            let row = try #require(try await store.subscription(id: "s"))
            #expect(row.currentPeriodStart == intent.periodStart)
            #expect(row.currentPeriodEnd == intent.periodEnd)
            #expect(try row.validated().status == .active)
            let charge = try #require(try await store.charges(subscriptionID: "s").first)
            #expect(charge.status == .succeeded)
            #expect(charge.providerReference == "pi_1")
            // A resolved charge is never overwritten.
            let again = await #expect(throws: BillingError.self) {
                try await store.recordRenewal(
                    RenewalRecord(subscriptionID: "s", periodStart: intent.periodStart, charge: succeeded, subscription: nil), fence: fence,
                    at: now)
            }
            #expect(again?.code == .concurrentModification)
            #expect(try await store.unresolvedCharges(after: nil, limit: 10).isEmpty)
            #expect(try await store.charges(after: nil, limit: 10).count == 1)
        }
    }

    @Test(arguments: StoreKind.available)
    func currentTimeIsTheDatabaseClock(_ kind: StoreKind) async throws {
        try await withTestStore(kind) { store in
            let before = try await SystemBillingClock().now()
            let databaseTime = try await store.currentTime()
            let after = try await SystemBillingClock().now()
            // Same host here, so the two clocks agree to within the round trip and a little.
            #expect(databaseTime >= before + .seconds(-1))
            #expect(databaseTime <= after + .seconds(1))
        }
    }

    @Test func reopeningKeepsDataAndSchema() async throws {
        let directory = "/tmp/billing-reopen-\(UInt64.random(in: 0...UInt64.max))"
        let path = "\(directory).sqlite"
        defer {
            for suffix in ["", "-wal", "-shm"] { unlink(path + suffix) }
        }
        let store = try await SQLiteBillingStore.open(path: path, logger: testLogger)
        try await store.saveSubscription(Fixtures.subscription("kept").stored)
        try await store.claimFence(Fixtures.fence(3))
        try await store.close()
        let reopened = try await SQLiteBillingStore.open(path: path, logger: testLogger)
        #expect(try await reopened.subscription(id: "kept") != nil)
        #expect(try await reopened.highestFencingToken(election: Fixtures.election) == FencingToken(3))
        try await reopened.close()
    }

    @Test func twoProcessesSharingOneFileAreFencedAgainstEachOther() async throws {
        let path = "/tmp/billing-shared-\(UInt64.random(in: 0...UInt64.max)).sqlite"
        defer {
            for suffix in ["", "-wal", "-shm"] { unlink(path + suffix) }
        }
        let old = try await SQLiteBillingStore.open(path: path, logger: testLogger)
        let new = try await SQLiteBillingStore.open(path: path, logger: testLogger)
        let subscription = Fixtures.subscription("s")
        try await old.saveSubscription(subscription.stored)
        try await old.claimFence(Fixtures.fence(1))
        try await new.claimFence(Fixtures.fence(2))
        let error = await #expect(throws: BillingError.self) {
            try await old.beginCharge(Fixtures.intent(for: subscription), fence: Fixtures.fence(1), at: subscription.currentPeriodEnd)
        }
        #expect(error?.code == .staleFencingToken)
        try await old.close()
        try await new.close()
    }
}
