/// A conformance check found a backend that breaks the `ElectionBackend` contract.
public struct ConformanceFailure: Error, Sendable, CustomStringConvertible {
    /// The check that failed.
    public var check: String
    /// What was observed, against what was expected.
    public var message: String

    /// Creates a failure report.
    public init(check: String, message: String) {
        self.check = check
        self.message = message
    }

    public var description: String { "\(check): \(message)" }
}
