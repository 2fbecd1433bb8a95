import Billing
import Synchronization

/// A billing clock the test sets by hand.
final class ManualBillingClock: BillingClock {
    private let current: Mutex<Timestamp>

    init(_ now: Timestamp) {
        current = Mutex(now)
    }

    func now() async throws -> Timestamp { current.withLock { $0 } }

    /// The time, read synchronously (for fakes that keep time on this clock).
    var instant: Timestamp { current.withLock { $0 } }

    /// Sets the time.
    func set(_ now: Timestamp) { current.withLock { $0 = now } }

    /// Moves the time forward.
    func advance(by duration: Duration) { current.withLock { $0 = $0 + duration } }
}
