import Synchronization
import Testing

@testable import Billing

/// The PostgreSQL store's calls can always be left: on cancellation and after their time limit,
/// even when the call itself ignores cancellation (as a query on a cut-off connection does).
struct BillingStoreCallsTests {
    @Test func returnsTheCallsValueAndPassesItsErrorThrough() async throws {
        let calls = BillingStoreCalls(timeLimit: .seconds(60), databaseName: "test")
        #expect(try await calls.run { 42 } == 42)
        await #expect(throws: BillingError.self) {
            try await calls.run { () async throws -> Int in throw BillingError(code: .concurrentModification, message: "x") }
        }
    }

    @Test func cancellationReturnsAtOnceWhileTheCallIgnoresIt() async throws {
        let call = StuckCall()
        let calls = BillingStoreCalls(timeLimit: nil, databaseName: "test")
        let caller = Task { try await calls.run { await call.waitIgnoringCancellation() } }
        await call.started.wait()
        caller.cancel()
        await #expect(throws: CancellationError.self) { try await caller.value }
        #expect(!call.hasFinished)
        call.release()
    }

    @Test func theTimeLimitFailsTheCallWithStoreUnavailable() async throws {
        let call = StuckCall()
        let calls = BillingStoreCalls(timeLimit: .milliseconds(50), databaseName: "postgres://u@h:1/db")
        let error = await #expect(throws: BillingError.self) { try await calls.run { await call.waitIgnoringCancellation() } }
        #expect(error?.code == .storeUnavailable)
        #expect(error?.message.contains("postgres://u@h:1/db") == true)
        call.release()
    }

    @Test func anAlreadyCancelledCallerDoesNotStartTheCall() async throws {
        let started = Mutex(false)
        let calls = BillingStoreCalls(timeLimit: nil, databaseName: "test")
        let caller = Task {
            withUnsafeCurrentTask { $0?.cancel() }
            return try await calls.run { started.withLock { $0 = true } }
        }
        await #expect(throws: CancellationError.self) { try await caller.value }
        #expect(!started.withLock { $0 })
    }
}

/// A call that waits until the test releases it and ignores cancellation meanwhile.
private final class StuckCall: Sendable {
    let started = OneShotSignal()
    private let released = OneShotSignal()
    private let finished = Mutex(false)

    var hasFinished: Bool { finished.withLock { $0 } }

    func waitIgnoringCancellation() async -> Int {
        started.fire()
        await released.wait()
        finished.withLock { $0 = true }
        return 0
    }

    func release() { released.fire() }
}

/// A signal that fires once; waiting on it ignores cancellation on purpose.
private final class OneShotSignal: Sendable {
    private let state = Mutex<(fired: Bool, waiters: [CheckedContinuation<Void, Never>])>((false, []))

    func fire() {
        let waiters = state.withLock { state in
            state.fired = true
            defer { state.waiters = [] }
            return state.waiters
        }
        for waiter in waiters { waiter.resume() }
    }

    func wait() async {
        await withCheckedContinuation { continuation in
            let fired = state.withLock { state in
                if !state.fired { state.waiters.append(continuation) }
                return state.fired
            }
            if fired { continuation.resume() }
        }
    }
}
