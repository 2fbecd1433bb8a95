/// The one error type of the `BillingNode` module: what was wrong and what to do.
public struct BillingNodeError: Error, Sendable, CustomStringConvertible {
    /// What kind of failure this is. New codes may be added; do not switch exhaustively.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private let name: String
        private init(_ name: String) { self.name = name }

        /// A flag, environment variable or URL is unusable.
        public static let invalidConfiguration = Code("invalidConfiguration")
        /// The coordination store or the billing database could not be opened or reached.
        public static let storeUnavailable = Code("storeUnavailable")
        /// The HTTP server could not listen.
        public static let httpUnavailable = Code("httpUnavailable")

        public var description: String { name }
    }

    /// The kind of failure.
    public var code: Code
    /// One sentence for the operator: what was wrong and what to do.
    public var message: String
    /// The underlying error, if any.
    public var cause: (any Error)?

    /// Creates an error.
    public init(code: Code, message: String, cause: (any Error)? = nil) {
        self.code = code
        self.message = message
        self.cause = cause
    }

    public var description: String { message }
}
