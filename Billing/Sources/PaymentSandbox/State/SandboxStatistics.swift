/// Counters of what the sandbox has served since it started (or was reset).
public struct SandboxStatistics: Sendable, Hashable, Codable {
    /// Provider API requests received (Stripe and PayPal, token requests included).
    public var requests: Int = 0
    /// Charges applied (each is one ledger entry).
    public var chargesApplied: Int = 0
    /// Answers replayed from a saved response.
    public var replays: Int = 0
    /// Requests refused because their key was used with other parameters.
    public var idempotencyConflicts: Int = 0
    /// Requests refused with 409 because their key was in flight.
    public var inFlightConflicts: Int = 0
    /// Requests whose answer was delayed by injected latency.
    public var latencyFaults: Int = 0
    /// Injected 500s.
    public var serverErrorFaults: Int = 0
    /// Answers dropped after applying.
    public var lostFaults: Int = 0
    /// Requests held without an answer.
    public var hangFaults: Int = 0
    /// Injected 429s.
    public var rateLimitFaults: Int = 0
    /// Answers replaced by a body that is not JSON.
    public var garbageFaults: Int = 0
    /// Requests applied late, after their clients gave up.
    public var lateFaults: Int = 0
    /// Idempotency keys forgotten because their retention passed on the sandbox clock; a request
    /// that reuses one is processed (and charged) as new.
    public var keysForgotten: Int = 0
    /// The injected faults that met a request's first delivery (its key not answered before, or
    /// no key): the ones that test a client, where a fault on a replay only repeats an answer.
    public var faultsOnFirstRequests = FaultCounts()

    /// Injected faults by kind.
    public struct FaultCounts: Sendable, Hashable, Codable {
        public var serverError = 0
        public var lost = 0
        public var hang = 0
        public var rateLimited = 0
        public var garbage = 0
        public var late = 0

        /// Zero counts.
        public init() {}

        enum CodingKeys: String, CodingKey {
            case lost, hang, garbage, late
            case serverError = "server_error"
            case rateLimited = "rate_limited"
        }

        mutating func add(_ action: FaultAction) {
            switch action {
            case .serverError: serverError += 1
            case .lost: lost += 1
            case .hang: hang += 1
            case .rateLimited: rateLimited += 1
            case .garbage: garbage += 1
            case .late: late += 1
            }
        }
    }

    /// Zero counters.
    public init() {}

    enum CodingKeys: String, CodingKey {
        case requests, replays
        case chargesApplied = "charges_applied"
        case idempotencyConflicts = "idempotency_conflicts"
        case inFlightConflicts = "in_flight_conflicts"
        case latencyFaults = "latency_faults"
        case serverErrorFaults = "server_error_faults"
        case lostFaults = "lost_faults"
        case hangFaults = "hang_faults"
        case rateLimitFaults = "rate_limit_faults"
        case garbageFaults = "garbage_faults"
        case lateFaults = "late_faults"
        case keysForgotten = "keys_forgotten"
        case faultsOnFirstRequests = "faults_on_first_requests"
    }
}
