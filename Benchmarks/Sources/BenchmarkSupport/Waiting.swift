import Foundation

/// Polls `condition` every millisecond until it holds; throws after `timeout`.
public func waitUntil(timeout: Duration = .seconds(60), _ condition: () async -> Bool) async throws {
    let end = ContinuousClock.now + timeout
    while !(await condition()) {
        guard ContinuousClock.now < end else { throw BenchError("a condition was not met within \(timeout)") }
        try await Task.sleep(for: .milliseconds(1))
    }
}
