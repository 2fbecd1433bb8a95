import Billing
import Foundation
import Payments
import Testing

/// Prints end-to-end renewal throughput (engine + real store + in-memory provider); measures,
/// never asserts beyond the audit. Runs only when `BILLING_FIGURES` is set, for example:
/// `BILLING_FIGURES=1 BILLING_FIGURES_COUNT=20000 swift test --filter RenewalFigures`.
/// The provider's latency is simulated with real sleeps (0 ms and 50 ms).
@Suite("Renewal figures", .serialized, .enabled(if: ProcessInfo.processInfo.environment["BILLING_FIGURES"] != nil))
struct RenewalFigures {
    static var count: Int { Int(ProcessInfo.processInfo.environment["BILLING_FIGURES_COUNT"] ?? "") ?? 20_000 }

    @Test(arguments: StoreKind.available, [0, 50])
    func renewalsPerSecond(_ kind: StoreKind, latencyMilliseconds: Int) async throws {
        try await withTestStore(kind) { store in
            let count = Self.count
            let clock = ContinuousClock()
            let loadStart = clock.now
            try await withThrowingTaskGroup(of: Void.self) { group in
                for worker in 0..<8 {
                    group.addTask {
                        for number in stride(from: worker, to: count, by: 8) {
                            try await store.saveSubscription(Fixtures.subscription(String(format: "sub%06d", number)).stored)
                        }
                    }
                }
                try await group.waitForAll()
            }
            let loaded = loadStart.duration(to: clock.now)
            let fake = FakePaymentProvider()
            let latency = Duration.milliseconds(latencyMilliseconds)
            let provider = ScriptedProvider { request in
                if latency > .zero { try await Task.sleep(for: latency) }
                return try await fake.charge(request)
            }
            var configuration = RenewalEngine.Configuration()
            configuration.providerRequestsPerSecond = nil
            configuration.batchSize = 500
            configuration.maxConcurrentRenewals = latencyMilliseconds > 0 ? 128 : 16
            let engine = try RenewalEngine(
                store: store, provider: provider, billingClock: ManualBillingClock(Fixtures.time("2025-02-28T00:00:00Z")),
                configuration: configuration, logger: testLogger
            )
            let start = clock.now
            let report = try await engine.runPass(fence: Fixtures.fence(1))
            let elapsed = start.duration(to: clock.now)
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            let double = fake.appliedPerPeriod.values.filter { $0 > 1 }.count
            let missed = count - fake.appliedPerPeriod.count
            print(
                "figure: \(kind) store, provider latency \(latencyMilliseconds) ms, \(configuration.maxConcurrentRenewals) in flight: \(report.charged) renewals in \(elapsed) = \(Int(Double(report.charged) / seconds)) renewals/s (loading \(count) rows took \(loaded)); audit: double charges \(double), missed \(missed)"
            )
            #expect(report.charged == count)
            #expect(double == 0)
            #expect(missed == 0)
        }
    }
}
