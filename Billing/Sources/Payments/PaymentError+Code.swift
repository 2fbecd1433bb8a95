extension PaymentError {
    /// What kind of fault a ``PaymentError`` is. New codes may be added; do not switch exhaustively.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: String, Hashable, Sendable {
            case unspecified
            case invalidConfiguration
            case missingCredentials
            case authenticationFailed
            case permissionDenied
            case invalidRequest
            case lookupUnsupported
        }

        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// The error was made without a code (``PaymentError/init(_:cause:)``).
        public static let unspecified = Code(.unspecified)
        /// A configuration value (base URL, timeout) is unusable.
        public static let invalidConfiguration = Code(.invalidConfiguration)
        /// An API key is not set in the environment, or its file cannot be read.
        public static let missingCredentials = Code(.missingCredentials)
        /// The provider rejected the API key or client credentials (HTTP 401).
        public static let authenticationFailed = Code(.authenticationFailed)
        /// The credentials are valid but may not perform this request (HTTP 403).
        public static let permissionDenied = Code(.permissionDenied)
        /// The provider rejected the request as malformed (HTTP 400/404/422 that is not a decline),
        /// or the request cannot be sent as it is (an idempotency key that is too long).
        public static let invalidRequest = Code(.invalidRequest)
        /// The provider (or this client of it) cannot find a charge by the references it carries
        /// (``PaymentProvider/lookUpCharge(_:)``): a charge past its key's retention needs an operator.
        public static let lookupUnsupported = Code(.lookupUnsupported)

        /// The code's name.
        public var description: String { base.rawValue }
    }
}
