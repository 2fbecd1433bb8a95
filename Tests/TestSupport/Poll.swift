/// Waits for a condition by asking again, with a generous limit: tests wait for what they expect
/// to happen, never for a fixed time.
package enum Poll {
    /// Calls `probe` every `interval` until it returns a value; throws after `timeout`
    /// (with `what` and the last error the probe threw, if any).
    package static func until<T: Sendable>(
        _ what: String,
        timeout: Duration = .seconds(60),
        interval: Duration = .milliseconds(20),
        _ probe: () async throws -> T?
    ) async throws -> T {
        let clock = ContinuousClock()
        let deadline = clock.now + timeout
        var lastError: (any Error)?
        while true {
            do {
                if let value = try await probe() { return value }
            } catch is CancellationError {
                throw CancellationError()
            } catch {
                lastError = error
            }
            guard clock.now < deadline else {
                throw TestFailure("\(what) did not happen within \(timeout)" + (lastError.map { " (last error: \($0))" } ?? ""))
            }
            try await Task.sleep(for: interval)
        }
    }
}
