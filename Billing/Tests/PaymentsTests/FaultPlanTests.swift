import PaymentSandbox
import Testing

@Suite("Sandbox-Fault header syntax")
struct FaultPlanTests {
    @Test(
        "valid plans",
        arguments: [
            ("latency=50ms", FaultPlan(latency: .milliseconds(50))),
            ("latency=2s|lost", FaultPlan(latency: .seconds(2), action: .lost)),
            ("500", FaultPlan(action: .serverError)),
            ("hang", FaultPlan(action: .hang(nil))),
            ("hang=1.5s, latency=10", FaultPlan(latency: .milliseconds(10), action: .hang(.milliseconds(1500)))),
            ("429", FaultPlan(action: .rateLimited(retryAfter: nil))),
            ("429=3s", FaultPlan(action: .rateLimited(retryAfter: .seconds(3)))),
            ("garbage", FaultPlan(action: .garbage)),
            ("late", FaultPlan(action: .late(nil))),
            ("late=10s", FaultPlan(action: .late(.seconds(10)))),
            ("none", FaultPlan.none),
        ])
    func valid(_ text: String, _ expected: FaultPlan) throws {
        #expect(try FaultPlan(parsing: text) == expected)
    }

    @Test("invalid plans name what was wrong", arguments: ["latency", "latency=fast", "lost,500", "boom", "hang=-1s"])
    func invalid(_ text: String) {
        do {
            _ = try FaultPlan(parsing: text)
            Issue.record("\(text) should not parse")
        } catch let error as PaymentSandboxError {
            #expect(error.code == .invalidFaultSpecification)
        } catch {
            Issue.record("unexpected \(error)")
        }
    }

    @Test("rates outside 0...1 or summing past 1 are refused")
    func rates() {
        #expect(throws: PaymentSandboxError.self) { try FaultRates(lostRate: 1.5).validate() }
        #expect(throws: PaymentSandboxError.self) { try FaultRates(serverErrorRate: 0.6, lostRate: 0.6).validate() }
        #expect(throws: Never.self) { try FaultRates(serverErrorRate: 0.5, lostRate: 0.5).validate() }
    }
}
