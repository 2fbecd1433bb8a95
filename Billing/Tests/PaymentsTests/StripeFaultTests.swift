import Foundation
import PaymentSandbox
import Payments
import Testing

@Suite("Injected faults as the Stripe client sees them")
struct StripeFaultTests {
    @Test("lost answer: unknown; the retry with the same key gets the saved success; one charge")
    func lostThenRetry() async throws {
        try await withSandbox { server, url in
            let request = charge()
            let first = try await stripeClient(url, fault: "lost").charge(request)
            guard case .unknown(let message) = first else {
                Issue.record("expected unknown, got \(first)")
                return
            }
            #expect(message.contains("may have happened"))
            let retry = try await stripeClient(url).charge(request)
            guard case .succeeded(let reference) = retry else {
                Issue.record("expected the saved success, got \(retry)")
                return
            }
            let entries = server.ledger().filter { $0.idempotencyKey == request.idempotencyKey }
            #expect(entries.count == 1)
            #expect(entries.first?.count == 1)
            #expect(entries.first?.reference == reference)
            #expect(entries.first?.replays == 1)
            #expect(server.statistics().lostFaults == 1)
        }
    }

    @Test("500 before applying: unknown (a 5xx proves nothing); the retry charges once")
    func serverError() async throws {
        try await withSandbox { server, url in
            let request = charge()
            let first = try await stripeClient(url, fault: "500").charge(request)
            guard case .unknown(let message) = first else {
                Issue.record("expected unknown, got \(first)")
                return
            }
            #expect(message.contains("api_error"))
            #expect(server.ledger().isEmpty)
            let retry = try await stripeClient(url).charge(request)
            guard case .succeeded = retry else {
                Issue.record("expected success, got \(retry)")
                return
            }
            #expect(server.ledger().map(\.count) == [1])
        }
    }

    @Test("429 with Retry-After: rateLimited with that wait; nothing charged")
    func rateLimited() async throws {
        try await withSandbox { server, url in
            let outcome = try await stripeClient(url, fault: "429=3s").charge(charge())
            #expect(outcome == .rateLimited(retryAfter: .seconds(3)))
            let defaultWait = try await stripeClient(url, fault: "429").charge(charge())
            #expect(defaultWait == .rateLimited(retryAfter: .seconds(1)))
            #expect(server.ledger().isEmpty)
        }
    }

    @Test("latency: the answer comes after the delay and is unchanged")
    func latency() async throws {
        try await withSandbox { _, url in
            let clock = ContinuousClock()
            var outcome: ChargeOutcome?
            let elapsed = try await clock.measure {
                outcome = try await stripeClient(url, fault: "latency=150ms").charge(charge())
            }
            #expect(elapsed >= .milliseconds(150))
            guard case .succeeded = outcome else {
                Issue.record("expected success, got \(String(describing: outcome))")
                return
            }
        }
    }

    @Test("hang: the client times out (unknown); retries meanwhile get 409; after the hang the key is free and charges once")
    func hang() async throws {
        try await withSandbox { server, url in
            let request = charge()
            let first = try await stripeClient(url, fault: "hang=2500ms", timeout: .milliseconds(300)).charge(request)
            guard case .unknown(let message) = first else {
                Issue.record("expected unknown, got \(first)")
                return
            }
            #expect(message.contains("no answer"))
            let during = try await stripeClient(url).charge(request)
            #expect(during.conflictMessage != nil, "\(during)")
            // The key stays in flight until the hang ends (2.5 s, longer on a loaded machine):
            // ask again until the answer is not a conflict, within a generous limit.
            var after = during
            let limit = ContinuousClock.now + .seconds(30)
            while after.conflictMessage != nil, ContinuousClock.now < limit {
                try await Task.sleep(for: .milliseconds(100))
                after = try await stripeClient(url).charge(request)
            }
            guard case .succeeded = after else {
                Issue.record("expected success after the hang, got \(after)")
                return
            }
            #expect(server.ledger().map(\.count) == [1])
            #expect(server.statistics().hangFaults == 1)
        }
    }

    @Test("late: the client times out (unknown); the charge lands afterwards, once; the retry with the key then gets its answer")
    func late() async throws {
        try await withSandbox { server, url in
            let request = charge()
            let first = try await stripeClient(url, fault: "late=1500ms", timeout: .milliseconds(300)).charge(request)
            guard case .unknown = first else {
                Issue.record("expected unknown, got \(first)")
                return
            }
            #expect(server.ledger().isEmpty, "not applied while held")
            // Applied once the hold ends (1.5 s, longer on a loaded machine): ask until the answer is not a conflict.
            var after = try await stripeClient(url).charge(request)
            let limit = ContinuousClock.now + .seconds(30)
            while after.conflictMessage != nil, ContinuousClock.now < limit {
                try await Task.sleep(for: .milliseconds(100))
                after = try await stripeClient(url).charge(request)
            }
            guard case .succeeded = after else {
                Issue.record("expected the late charge's success, got \(after)")
                return
            }
            #expect(server.ledger().map(\.count) == [1])
            #expect(server.ledger().first?.replays == 1, "the retry got the late charge's saved answer")
            #expect(server.statistics().lateFaults == 1)
            #expect(server.statistics().faultsOnFirstRequests.late == 1)
        }
    }

    @Test("garbage body: a clear unknown that quotes it; the retry gets the saved success")
    func garbage() async throws {
        try await withSandbox { server, url in
            let request = charge()
            let first = try await stripeClient(url, fault: "garbage").charge(request)
            guard case .unknown(let message) = first else {
                Issue.record("expected unknown, got \(first)")
                return
            }
            #expect(message.contains("HTTP 200"))
            #expect(message.contains("not a PaymentIntent"))
            #expect(message.contains("502 Bad Gateway"))
            let retry = try await stripeClient(url).charge(request)
            guard case .succeeded = retry else {
                Issue.record("expected success, got \(retry)")
                return
            }
            #expect(server.ledger().map(\.count) == [1])
        }
    }

    @Test("an unparsable Sandbox-Fault header is a 400 that names the item")
    func badFaultHeader() async throws {
        try await withSandbox { _, url in
            let answer = try await send(
                "POST", url + "/v1/payment_intents", headers: stripeHeaders(key: "bad-fault", fault: "explode"), body: stripeForm())
            #expect(answer.status == 400)
            #expect(answer.body.contains("explode"))
        }
    }

    @Test("nothing listening: retryable, since the request never left")
    func connectionRefused() async throws {
        // Port 1 (tcpmux) is closed on any machine this runs on; a port freed by a stopped
        // sandbox could be taken by a parallel test's listener.
        let outcome = try await stripeClient("http://127.0.0.1:1", timeout: .seconds(2)).charge(charge())
        guard case .retryable(let message) = outcome else {
            Issue.record("expected retryable, got \(outcome)")
            return
        }
        #expect(message.contains("not reached"))
    }

    @Test("faults drawn by rate: every kind occurs, retries with the same keys end with each key charged exactly once")
    func faultsByRate() async throws {
        let rates = FaultRates(
            latency: .milliseconds(1), serverErrorRate: 0.1, lostRate: 0.1, hangRate: 0.05,
            rateLimitRate: 0.1, garbageRate: 0.05, retryAfter: .zero, hangDuration: .milliseconds(300), seed: 42
        )
        try await withSandbox(.init(faults: rates)) { server, url in
            let client = try stripeClient(url, timeout: .milliseconds(150))
            let requests = (0..<60).map { index in charge(key: "rate-\(index)", amount: Int64(1000 + index)) }
            var attempts = 0
            for request in requests {
                var done = false
                while !done {
                    attempts += 1
                    switch try await client.charge(request) {
                    case .succeeded: done = true
                    case .idempotencyConflict: try await Task.sleep(for: .milliseconds(100))
                    default: continue
                    }
                    #expect(attempts < 2_000)
                }
            }
            let statistics = server.statistics()
            #expect(statistics.serverErrorFaults > 0)
            #expect(statistics.lostFaults > 0)
            #expect(statistics.hangFaults > 0)
            #expect(statistics.rateLimitFaults > 0)
            #expect(statistics.garbageFaults > 0)
            let ledger = server.ledger()
            #expect(ledger.count == requests.count)
            #expect(ledger.allSatisfy { $0.count == 1 && $0.status == "succeeded" })
            #expect(Set(ledger.compactMap(\.idempotencyKey)) == Set(requests.map(\.idempotencyKey)))
            print("faults by rate: \(requests.count) keys, \(attempts) attempts, \(statistics)")
        }
    }
}
