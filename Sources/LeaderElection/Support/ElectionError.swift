/// The one error type of the leader-election modules.
///
/// Each error carries an extensible ``Code``, a message written for the person who reads it
/// (what was wrong and what to do), and the underlying error when there is one.
public struct ElectionError: Error, Sendable, CustomStringConvertible {
    /// What kind of failure this is. New codes may be added; do not switch exhaustively.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: String, Hashable, Sendable {
            case invalidConfiguration
            case invalidStoreURL
            case storeUnavailable
            case leaseExpired
            case leadershipLost
            case invalidStoreData
        }

        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// A configuration value is out of range or inconsistent with another.
        public static let invalidConfiguration = Code(.invalidConfiguration)
        /// A store URL could not be parsed or names an unknown backend.
        public static let invalidStoreURL = Code(.invalidStoreURL)
        /// The store could not be reached or did not answer in time. Transient: retry.
        public static let storeUnavailable = Code(.storeUnavailable)
        /// The store says the lease (and so the candidacy attached to it) no longer exists. Final.
        public static let leaseExpired = Code(.leaseExpired)
        /// Leadership ended while work depended on it; ``ElectionError/lossCause`` says why.
        public static let leadershipLost = Code(.leadershipLost)
        /// The store holds data this library did not write or cannot read.
        public static let invalidStoreData = Code(.invalidStoreData)

        public var description: String { base.rawValue }
    }

    /// What kind of failure this is.
    public var code: Code
    /// What went wrong and what to do about it.
    public var message: String
    /// Why leadership ended, for ``Code/leadershipLost``.
    public var lossCause: LeadershipLossCause?
    /// The underlying error, if any.
    public var cause: (any Error)?

    /// Creates an error.
    public init(code: Code, message: String, lossCause: LeadershipLossCause? = nil, cause: (any Error)? = nil) {
        self.code = code
        self.message = message
        self.lossCause = lossCause
        self.cause = cause
    }

    public var description: String {
        var text = message
        if let cause { text += " (cause: \(cause))" }
        return text
    }

    /// A transient failure to reach the store.
    public static func storeUnavailable(_ message: String, cause: (any Error)? = nil) -> ElectionError {
        ElectionError(code: .storeUnavailable, message: message, cause: cause)
    }

    /// The lease is gone at the store.
    public static func leaseExpired(_ lease: LeaseID) -> ElectionError {
        ElectionError(code: .leaseExpired, message: "lease \(lease) no longer exists at the store; the candidacy attached to it is gone")
    }

    /// Leadership ended for the given cause.
    public static func leadershipLost(_ cause: LeadershipLossCause) -> ElectionError {
        ElectionError(code: .leadershipLost, message: "leadership ended: \(cause)", lossCause: cause)
    }

    /// A configuration value is unusable.
    public static func invalidConfiguration(_ message: String) -> ElectionError {
        ElectionError(code: .invalidConfiguration, message: message)
    }
}

/// Why a leadership (or a campaign) ended.
public enum LeadershipLossCause: String, Sendable, Hashable, CustomStringConvertible {
    /// No renewal was acknowledged before the local deadline: the store may already have expired the lease.
    case deadlinePassed
    /// The store reported that the lease or the candidacy no longer exists.
    case leaseExpired
    /// This candidate resigned.
    case resigned
    /// The task running the leadership was cancelled (for example at shutdown).
    case cancelled

    public var description: String {
        switch self {
        case .deadlinePassed: "no lease renewal was acknowledged before the local deadline"
        case .leaseExpired: "the store reported the lease expired"
        case .resigned: "resigned"
        case .cancelled: "cancelled"
        }
    }
}
