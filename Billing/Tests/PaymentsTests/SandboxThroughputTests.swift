import AsyncHTTPClient
import Foundation
import PaymentSandbox
import Payments
import Testing

/// Prints charges per second through the Stripe client against the sandbox; asserts only that
/// every charge succeeded once. It loads both cores for seconds, which would starve the timing
/// tests running beside it, so it runs only when `PAYMENTS_FIGURES` is set:
/// `PAYMENTS_FIGURES=1 swift test --filter SandboxThroughputTests`.
@Suite(
    "Sandbox throughput on loopback (prints figures, asserts only correctness)",
    .enabled(if: ProcessInfo.processInfo.environment["PAYMENTS_FIGURES"] != nil)
)
struct SandboxThroughputTests {
    @Test("charges per second through the Stripe client, 32 at a time, then replays per second")
    func chargesPerSecond() async throws {
        var configuration = HTTPClient.Configuration()
        configuration.connectionPool.concurrentHTTP1ConnectionsPerHostSoftLimit = 32
        let httpClient = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
        let total = 4_000
        let concurrency = 32
        do {
            try await measure(httpClient: httpClient, total: total, concurrency: concurrency)
        } catch {
            try await httpClient.shutdown()
            throw error
        }
        try await httpClient.shutdown()
    }

    private func measure(httpClient: HTTPClient, total: Int, concurrency: Int) async throws {
        try await withSandbox { server, url in
            let client = try stripeClient(url, httpClient: httpClient)
            let requests = (0..<total).map { charge(key: "bench-\($0)", amount: Int64(100 + $0 % 900)) }
            for pass in ["first", "replay"] {
                let clock = ContinuousClock()
                let started = clock.now
                let succeeded = try await withThrowingTaskGroup(of: Int.self) { group in
                    for worker in 0..<concurrency {
                        group.addTask {
                            var count = 0
                            for index in stride(from: worker, to: total, by: concurrency) {
                                if case .succeeded = try await client.charge(requests[index]) { count += 1 }
                            }
                            return count
                        }
                    }
                    return try await group.reduce(0, +)
                }
                let elapsed = clock.now - started
                let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
                print(
                    "sandbox throughput (\(pass) pass): \(total) charges, \(concurrency) concurrent, \(String(format: "%.2f", seconds)) s, \(Int(Double(total) / seconds)) charges/s"
                )
                #expect(succeeded == total)
            }
            let ledger = server.ledger()
            #expect(ledger.count == total)
            #expect(ledger.allSatisfy { $0.count == 1 && $0.replays == 1 })
        }
    }
}
