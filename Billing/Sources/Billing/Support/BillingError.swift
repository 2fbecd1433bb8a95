/// The one error type of the `Billing` module.
///
/// Each error carries an extensible ``Code``, a message written for the person who reads it (what
/// was wrong and what to do), and the underlying error when there is one.
public struct BillingError: Error, Sendable, CustomStringConvertible {
    /// What kind of failure this is. New codes may be added; do not switch exhaustively.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: String, Hashable, Sendable {
            case invalidAmount
            case unsupportedCurrency
            case currencyMismatch
            case arithmeticOverflow
            case invalidTimestamp
            case invalidSubscription
            case invalidConfiguration
            case invalidStoreURL
            case storeUnavailable
            case invalidStoreData
            case staleFencingToken
            case concurrentModification
            case providerFailure
            case clockDivergence
            case subscriptionNotFound
            case transitionNotAllowed
            case versionMismatch
            case idempotencyKeyReused
        }

        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// A text could not be read as an amount of money, or an amount is out of range.
        public static let invalidAmount = Code(.invalidAmount)
        /// A currency code is not in ``Currency/supported``.
        public static let unsupportedCurrency = Code(.unsupportedCurrency)
        /// Two amounts in different currencies were combined.
        public static let currencyMismatch = Code(.currencyMismatch)
        /// An amount or a date left the range of 64-bit integers.
        public static let arithmeticOverflow = Code(.arithmeticOverflow)
        /// A text could not be read as a UTC timestamp, or a date does not exist.
        public static let invalidTimestamp = Code(.invalidTimestamp)
        /// A subscription row cannot be billed (negative price, unknown currency, unknown interval, ...).
        public static let invalidSubscription = Code(.invalidSubscription)
        /// A configuration value is out of range.
        public static let invalidConfiguration = Code(.invalidConfiguration)
        /// A billing store URL could not be parsed or names an unknown database.
        public static let invalidStoreURL = Code(.invalidStoreURL)
        /// The database could not be reached or failed. Transient: retry.
        public static let storeUnavailable = Code(.storeUnavailable)
        /// The database holds data this library did not write, or a schema it does not know.
        public static let invalidStoreData = Code(.invalidStoreData)
        /// A write carried a fencing token lower than the highest the store has seen for its
        /// election: the writer is a deposed leader and must stop. Final for that leadership.
        public static let staleFencingToken = Code(.staleFencingToken)
        /// A row changed between the engine reading it and writing it (for example a subscription
        /// edited during its renewal); the write was not applied.
        public static let concurrentModification = Code(.concurrentModification)
        /// The payment provider refused the request in a way no retry fixes (`PaymentError`).
        public static let providerFailure = Code(.providerFailure)
        /// The billing clock and this process's own clock disagree by more than the tolerance
        /// (``CheckedBillingClock``): one of them was stepped or drifts. Nothing is charged until
        /// they agree; fix the clocks (NTP).
        public static let clockDivergence = Code(.clockDivergence)
        /// No subscription has the id asked for.
        public static let subscriptionNotFound = Code(.subscriptionNotFound)
        /// The subscription's state does not allow the change asked for (resuming one that is not
        /// paused, changing a canceled one), or its id is taken.
        public static let transitionNotAllowed = Code(.transitionNotAllowed)
        /// A conditional change named a row version that is no longer the subscription's.
        public static let versionMismatch = Code(.versionMismatch)
        /// An idempotency key was used before for a different request.
        public static let idempotencyKeyReused = Code(.idempotencyKeyReused)

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

    public var description: String {
        var text = message
        if let cause { text += " (cause: \(cause))" }
        return text
    }

    /// A transient failure of the database.
    public static func storeUnavailable(_ message: String, cause: (any Error)? = nil) -> BillingError {
        BillingError(code: .storeUnavailable, message: message, cause: cause)
    }

    /// Data in the store that this library cannot read.
    public static func invalidStoreData(_ message: String, cause: (any Error)? = nil) -> BillingError {
        BillingError(code: .invalidStoreData, message: message, cause: cause)
    }
}
