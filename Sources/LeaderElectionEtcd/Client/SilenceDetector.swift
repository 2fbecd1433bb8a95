import Synchronization

/// When a stream last heard from the server, shared between the task that reads the stream
/// and the task that decides it went silent.
final class SilenceDetector: Sendable {
    private let clock = ContinuousClock()
    private let lastHeard: Mutex<ContinuousClock.Instant>

    init() {
        lastHeard = Mutex(ContinuousClock().now)
    }

    /// Records that a message arrived now.
    func heard() {
        let now = clock.now
        lastHeard.withLock { $0 = now }
    }

    /// How long nothing has arrived.
    var silence: Duration { lastHeard.withLock { $0 }.duration(to: clock.now) }
}
