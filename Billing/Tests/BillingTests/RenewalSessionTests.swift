import Payments
import Synchronization
import Testing

@testable import Billing

/// Passes that start beside the stragglers of earlier passes (``RenewalSession``): a hung
/// provider request holds back only its own subscription, within the one concurrency limit.
@Suite(.timeLimit(.minutes(1)))
struct RenewalSessionTests {
    /// A provider whose first request for subscription `hungID` waits for `release`; every
    /// request is logged, in order, when it starts and when it is answered.
    final class HangingProvider: PaymentProvider {
        let hungID: String
        let charges: FakePaymentProvider
        let events = AsyncStream<String>.makeStream()
        let release = AsyncStream<Void>.makeStream()
        private let hung = Mutex(false)

        init(hungID: String, charges: FakePaymentProvider) {
            self.hungID = hungID
            self.charges = charges
        }

        func charge(_ request: ChargeRequest) async throws -> ChargeOutcome {
            let id = request.metadata["subscription_id"] ?? "?"
            events.continuation.yield("start \(id)")
            let hangs =
                id == hungID
                && hung.withLock { hung in
                    defer { hung = true }; return !hung
                }
            if hangs {
                for await _ in release.stream { break }
                try Task.checkCancellation()
            }
            let outcome = try await charges.charge(request)
            events.continuation.yield("answered \(id)")
            return outcome
        }

        /// Waits for `event`; returns the events seen before it.
        func wait(for event: String) async -> [String] {
            var seen: [String] = []
            for await next in events.stream {
                if next == event { return seen }
                seen.append(next)
            }
            return seen
        }
    }

    /// Runs `engine` with passes in a session until `body` returns, then cancels it.
    private func whileRunning(_ engine: RenewalEngine, _ body: () async throws -> Void) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await engine.run(fence: Fixtures.fence(1)) }
            defer { group.cancelAll() }
            try await body()
        }
    }

    @Test(arguments: StoreKind.available)
    func aHungRenewalDoesNotHoldBackSubscriptionsThatFallDueLater(_ kind: StoreKind) async throws {
        try await withTestStore(kind) { store in
            let harness = EngineHarness(store: store, now: "2025-02-28T00:00:00Z")
            let provider = HangingProvider(hungID: "slow", charges: harness.provider)
            try await harness.save(Fixtures.subscription("slow"))
            try await whileRunning(try harness.engine(provider: provider)) {
                _ = await provider.wait(for: "start slow")
                try await harness.save(Fixtures.subscription("later"))
                let beforeLater = await provider.wait(for: "answered later")
                #expect(!beforeLater.contains("answered slow"), "the later subscription was charged while the slow one hung")
                #expect(!beforeLater.contains("start slow"), "no pass asked again for the subscription in flight")
                provider.release.continuation.yield()
                _ = await provider.wait(for: "answered slow")
            }
            #expect(harness.provider.applied(subscriptionID: "slow", periodStart: Fixtures.time("2025-02-28T00:00:00Z")) == 1)
            #expect(harness.provider.applied(subscriptionID: "later", periodStart: Fixtures.time("2025-02-28T00:00:00Z")) == 1)
            #expect(harness.provider.calls(key: "renewal:slow:2025-02-28T00:00:00Z") == 1)
        }
    }

    @Test func stragglersCountTowardTheConcurrencyLimit() async throws {
        try await withTestStore(.sqlite) { store in
            let harness = EngineHarness(store: store, now: "2025-02-28T00:00:00Z")
            let provider = HangingProvider(hungID: "slow", charges: harness.provider)
            var configuration = EngineHarness.smallConfiguration
            configuration.maxConcurrentRenewals = 1
            try await harness.save(Fixtures.subscription("slow"))
            try await whileRunning(try harness.engine(configuration, provider: provider)) {
                _ = await provider.wait(for: "start slow")
                try await harness.save(Fixtures.subscription("later"))
                // A pass starts beside the straggler but waits for its slot.
                provider.release.continuation.yield()
                let beforeLater = await provider.wait(for: "start later")
                #expect(beforeLater == ["answered slow"])
                _ = await provider.wait(for: "answered later")
            }
        }
    }

    @Test func aPassOnItsOwnWaitsForEveryRenewal() async throws {
        try await withTestStore(.sqlite) { store in
            let harness = EngineHarness(store: store, now: "2025-02-28T00:00:00Z")
            let provider = HangingProvider(hungID: "slow", charges: harness.provider)
            try await harness.save(Fixtures.subscription("slow"), Fixtures.subscription("fast"))
            let engine = try harness.engine(provider: provider)
            async let report = engine.runPass(fence: Fixtures.fence(1))
            _ = await provider.wait(for: "start slow")
            provider.release.continuation.yield()
            #expect(try await report.charged == 2, "the pass returned only after the slow renewal")
        }
    }

    @Test func slotsWaitForARelease() async throws {
        let slots = RenewalSlots(capacity: 1)
        try await slots.acquire("a")
        #expect(slots.contains("a"))
        async let second: Void = slots.acquire("b")
        slots.release("a")
        try await second
        #expect(!slots.contains("a") && slots.contains("b") && slots.count == 1)
    }

    @Test func aCancelledWaitForASlotHoldsNone() async throws {
        let slots = RenewalSlots(capacity: 1)
        try await slots.acquire("a")
        let waiting = Task { try await slots.acquire("b") }
        waiting.cancel()
        await #expect(throws: CancellationError.self) { try await waiting.value }
        slots.release("a")
        #expect(slots.count == 0)
    }
}
