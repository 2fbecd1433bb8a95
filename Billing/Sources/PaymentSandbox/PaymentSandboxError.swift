/// The one error type of the `PaymentSandbox` module.
public struct PaymentSandboxError: Error, Sendable, CustomStringConvertible {
    /// What kind of failure this is. New codes may be added; do not switch exhaustively.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: String, Hashable, Sendable {
            case invalidConfiguration
            case invalidFaultSpecification
            case notRunning
            case notFound
            case invalidRequest
        }

        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// A configuration value is out of range (a rate outside 0...1, rates adding up past 1).
        public static let invalidConfiguration = Code(.invalidConfiguration)
        /// A `Sandbox-Fault` header or fault string could not be parsed.
        public static let invalidFaultSpecification = Code(.invalidFaultSpecification)
        /// The server is not listening (it failed to bind, or `run()` has ended).
        public static let notRunning = Code(.notRunning)
        /// No object has the id asked for.
        public static let notFound = Code(.notFound)
        /// The object is not in a state the request applies to.
        public static let invalidRequest = Code(.invalidRequest)

        /// The code's name.
        public var description: String { base.rawValue }
    }

    /// What kind of failure this is.
    public var code: Code
    /// What went wrong and what to do about it.
    public var message: String
    /// The underlying error, if any.
    public var cause: (any Error)?

    /// Creates an error.
    public init(code: Code, message: String, cause: (any Error)? = nil) {
        self.code = code
        self.message = message
        self.cause = cause
    }

    /// The message, followed by the cause when there is one.
    public var description: String { cause.map { "\(message) (cause: \($0))" } ?? message }
}
