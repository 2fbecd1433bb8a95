import Foundation
import Synchronization

/// The sandbox's shared state behind one lock: idempotency records, objects, ledger, counters.
///
/// Every decision about a key (claim, replay, conflict) and every charge with the saving of its
/// answer happen inside one critical section each, so concurrent requests with the same key
/// cannot both apply it.
final class SandboxState: Sendable {
    /// The idempotency layer's verdict on a request.
    enum Claim {
        /// The key is new (or was released): this request processes it.
        case claimed
        /// The key has a saved answer for the same parameters.
        case replay(SavedResponse, originalRequestID: String)
        /// The key was used with other parameters.
        case conflict
        /// A request with the key is still being processed.
        case inFlight
    }

    /// What processing a request produced.
    struct Processed {
        /// The answer.
        var response: SavedResponse
        /// Whether the idempotency layer keeps it (validation errors are not kept, as at Stripe).
        var save: Bool
        /// The request id of the answer.
        var requestID: String
    }

    private let storage: Mutex<SandboxStorage>
    /// How long a completed Stripe key is replayed.
    let stripeKeyRetention: Duration
    /// How long a completed PayPal request id is replayed.
    let payPalRequestIDRetention: Duration

    init(faults: FaultRates, stripeKeyRetention: Duration, payPalRequestIDRetention: Duration) {
        storage = Mutex(SandboxStorage(faults: faults))
        self.stripeKeyRetention = stripeKeyRetention
        self.payPalRequestIDRetention = payPalRequestIDRetention
    }

    /// The retention of keys in `provider`'s namespace.
    func retention(of provider: String) -> Duration {
        provider == "paypal" ? payPalRequestIDRetention : stripeKeyRetention
    }

    /// Moves the sandbox clock forward by `duration` and forgets every key whose retention has
    /// passed on it.
    func advanceClock(by duration: Duration) {
        storage.withLock { storage in
            storage.clockOffset += duration
            for scope in Array(storage.keys.keys) {
                _ = storage.forgetIfExpired(scope, retention: retention(of: scope.provider))
            }
        }
    }

    /// Runs `body` under the lock.
    func withStorage<T>(_ body: (inout SandboxStorage) throws -> T) rethrows -> T {
        try storage.withLock { try body(&$0) }
    }

    /// Claims `scope` for a request with `fingerprint`, or says why not. A key whose retention
    /// has passed is forgotten first, as at Stripe: the request is then processed as new.
    func claim(_ scope: IdempotencyScope, fingerprint: String) -> Claim {
        let retention = retention(of: scope.provider)
        return storage.withLock { storage in
            _ = storage.forgetIfExpired(scope, retention: retention)
            switch storage.keys[scope] {
            case nil:
                storage.keys[scope] = .inFlight(fingerprint: fingerprint)
                return .claimed
            case .inFlight:
                storage.statistics.inFlightConflicts += 1
                return .inFlight
            case .completed(let saved, let response, let requestID, _):
                guard saved == fingerprint else {
                    storage.statistics.idempotencyConflicts += 1
                    return .conflict
                }
                storage.statistics.replays += 1
                if let index = storage.ledgerIndex[scope] { storage.ledger[index].replays += 1 }
                return .replay(response, originalRequestID: requestID)
            }
        }
    }

    /// Processes a claimed request (or one without a key) and saves its answer, atomically.
    func process(_ scope: IdempotencyScope?, fingerprint: String, _ body: (inout SandboxStorage) -> Processed) -> SavedResponse {
        storage.withLock { storage in
            let processed = body(&storage)
            if let scope {
                if processed.save {
                    storage.keys[scope] = .completed(
                        fingerprint: fingerprint, response: processed.response, requestID: processed.requestID, at: storage.now
                    )
                } else {
                    storage.keys[scope] = nil
                }
            }
            return processed.response
        }
    }

    /// Gives up a claim without saving anything (a hang, a cancelled request).
    func release(_ scope: IdempotencyScope) {
        storage.withLock { storage in
            if case .inFlight = storage.keys[scope] { storage.keys[scope] = nil }
        }
    }

    /// The faults for a request without a `Sandbox-Fault` header, drawn from the configured rates.
    func drawFaults() -> FaultPlan {
        storage.withLock { storage in
            let unit = storage.random.unit()
            let jitter = storage.faults.latencyJitter > .zero ? storage.random.unit() : 0
            return storage.faults.plan(unit: unit, jitterUnit: jitter)
        }
    }

    /// Counts `action` as having met a request's first delivery.
    func countOnFirstRequest(_ action: FaultAction?) {
        guard let action else { return }
        storage.withLock { $0.statistics.faultsOnFirstRequests.add(action) }
    }

    /// Whether `scope` has an answer saved (a request under it now would be a replay).
    func hasAnswer(_ scope: IdempotencyScope) -> Bool {
        storage.withLock { storage in
            if case .completed = storage.keys[scope] { true } else { false }
        }
    }

    /// Counts a request and the faults it meets.
    func count(_ plan: FaultPlan) {
        storage.withLock { storage in
            storage.statistics.requests += 1
            if plan.latency != nil { storage.statistics.latencyFaults += 1 }
            switch plan.action {
            case .serverError: storage.statistics.serverErrorFaults += 1
            case .lost: storage.statistics.lostFaults += 1
            case .hang: storage.statistics.hangFaults += 1
            case .rateLimited: storage.statistics.rateLimitFaults += 1
            case .garbage: storage.statistics.garbageFaults += 1
            case .late: storage.statistics.lateFaults += 1
            case nil: break
            }
        }
    }
}
