import Billing
import Testing

/// The billing clock held against the host's: a reading within the tolerance passes, one beyond
/// it either way fails with `clockDivergence`, and the engine then charges nothing.
struct CheckedBillingClockTests {
    static let local = Fixtures.time("2025-02-28T00:00:00Z")

    func checked(_ base: ManualBillingClock) -> CheckedBillingClock {
        CheckedBillingClock(base: base, tolerance: .seconds(30), local: { Self.local })
    }

    @Test func aReadingWithinTheToleranceIsTheBaseClocks() async throws {
        for offset in [-30, -5, 0, 5, 30] {
            let base = ManualBillingClock(Self.local + .seconds(offset))
            #expect(try await checked(base).now() == Self.local + .seconds(offset))
        }
    }

    @Test func aReadingBeyondTheToleranceEitherWayIsRefused() async throws {
        for offset in [-3600, -31, 31, 3600] {
            let base = ManualBillingClock(Self.local + .seconds(offset))
            let error = await #expect(throws: BillingError.self) { try await checked(base).now() }
            #expect(error?.code == .clockDivergence)
            #expect(error?.message.contains("NTP") == true)
        }
    }

    @Test(arguments: StoreKind.available)
    func theEngineChargesNothingOnADivergentClock(_ kind: StoreKind) async throws {
        try await withTestStore(kind) { store in
            // The database's clock jumped an hour ahead of this host's: renewals due in that hour
            // would be charged early.
            let harness = EngineHarness(store: store, now: "2025-02-28T01:00:00Z")
            try await harness.save(Fixtures.subscription("s", anchor: "2025-01-28T00:30:00Z"))
            let engine = try RenewalEngine(
                store: store, provider: harness.provider, billingClock: checked(harness.billingClock),
                configuration: EngineHarness.smallConfiguration, clock: harness.clock, logger: testLogger, metricsFactory: harness.metrics)
            let error = await #expect(throws: BillingError.self) { try await engine.runPass(fence: Fixtures.fence(1)) }
            #expect(error?.code == .clockDivergence)
            #expect(harness.provider.calls == 0)
        }
    }
}
