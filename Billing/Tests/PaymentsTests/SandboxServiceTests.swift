import Foundation
import PaymentSandbox
import Payments
import ServiceLifecycle
import Testing

@Suite("The sandbox as a ServiceLifecycle service")
struct SandboxServiceTests {
    @Test("runs in a ServiceGroup; a graceful shutdown ends it promptly, cutting a hanging request short")
    func gracefulShutdown() async throws {
        let server = try PaymentSandboxServer(logger: quietLogger)
        let group = ServiceGroup(configuration: .init(services: [server], logger: quietLogger))
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            let url = try await server.baseURL()
            let request = charge()
            async let hanging = stripeClient(url, fault: "hang=60s", timeout: .seconds(30)).charge(request)
            try await Task.sleep(for: .milliseconds(500))
            let clock = ContinuousClock()
            let start = clock.now
            await group.triggerGracefulShutdown()
            try await tasks.next()
            #expect(clock.now - start < .seconds(10))
            guard case .unknown = try await hanging else {
                Issue.record("a request cut short by shutdown must be unknown")
                return
            }
            #expect(server.ledger().isEmpty)
            await #expect(throws: PaymentSandboxError.self) { try await server.port() }
        }
    }
}
