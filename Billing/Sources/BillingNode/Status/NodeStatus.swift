/// What `GET /status` answers: one node's view of the election and its engine's progress.
///
/// Only the leader knows its lease deadline; followers report the leader they observe (with its
/// token) and no deadline. Counters count since this process started.
public struct NodeStatus: Codable, Sendable, Hashable {
    /// Progress of the renewal engine on this node.
    public struct Engine: Codable, Sendable, Hashable {
        /// Renewal passes completed.
        public var passes = 0
        /// Periods charged successfully.
        public var charged = 0
        /// Charges declined.
        public var declined = 0
        /// Dunning retries scheduled.
        public var retriesScheduled = 0
        /// Provider calls retried at once (rate limits, transient faults) or answered unknown.
        public var providerRetries = 0
        /// Charges whose outcome stayed unknown for a pass.
        public var unknown = 0
        /// Pending or unknown charges of earlier leaders resolved.
        public var reconciled = 0
        /// Subscriptions canceled for non-payment.
        public var canceledForNonPayment = 0
        /// Charges this node parked for an operator (the provider rejected the request, or a
        /// lookup past the key's retention was impossible or ambiguous).
        public var parkedForReview = 0
        /// Charges this node recorded as succeeded on a subscription canceled meanwhile.
        public var refundReviews = 0
        /// Renewals skipped because their row changed meanwhile.
        public var conflicts = 0
        /// The last engine error, if the last pass failed.
        public var lastError: String?

        /// Zero counts.
        public init() {}
    }

    /// One leadership term this node saw begin (its own or another node's).
    public struct Term: Codable, Sendable, Hashable {
        /// The leader's node id.
        public var leaderID: String
        /// The term's fencing token.
        public var token: Int64
        /// When this node saw the term begin, in milliseconds since 1970.
        public var sinceMs: Int64
        /// When this node saw it end, if it did.
        public var untilMs: Int64?

        /// Creates a term.
        public init(leaderID: String, token: Int64, sinceMs: Int64, untilMs: Int64?) {
            self.leaderID = leaderID
            self.token = token
            self.sinceMs = sinceMs
            self.untilMs = untilMs
        }
    }

    /// This node's id.
    public var nodeID: String
    /// `leader` or `follower`.
    public var role: String
    /// The leader this node knows of (itself when leading), nil while there is none.
    public var leaderID: String?
    /// The leader's fencing token, nil while there is none.
    public var token: Int64?
    /// Milliseconds left before this node's local lease deadline, when it leads.
    public var leaseRemainingMs: Int64?
    /// The lease TTL in milliseconds.
    public var leaseTTLMs: Int64
    /// Whether billing was paused on this node (`POST /pause-billing`).
    public var billingPaused: Bool
    /// The engine's counters.
    public var engine: Engine
    /// Terms seen, oldest first (at most the last 50).
    public var terms: [Term]
    /// The last provider calls of this node, newest last (at most 50).
    public var recentCharges: [ChargeEvent]
    /// This node's wall clock, in milliseconds since 1970, when the status was taken.
    public var nowMs: Int64
    /// When this process started, in milliseconds since 1970.
    public var startedAtMs: Int64
    /// The process id (for operators and the demo's chaos).
    public var pid: Int32
    /// Charges in the billing database that need an operator (`billing charges review`), as last
    /// read; nil before the first read.
    public var chargesNeedingReview: Int?
    /// The event outbox, as last read; nil before the first read.
    public var outbox: Outbox?

    /// The event outbox: what waits for delivery to the business's endpoints.
    public struct Outbox: Codable, Sendable, Hashable {
        /// Events not yet accepted by every endpoint.
        public var undelivered: Int
        /// How long the oldest of them has waited, in milliseconds (database time); nil when none waits.
        public var oldestUndeliveredAgeMs: Int64?
        /// Undelivered events whose last delivery attempt failed.
        public var failing: Int
        /// How many endpoints the events go to (0: nothing is delivered, events only accumulate).
        public var endpoints: Int
    }

    /// Creates a status.
    public init(
        nodeID: String, role: String, leaderID: String?, token: Int64?, leaseRemainingMs: Int64?, leaseTTLMs: Int64,
        billingPaused: Bool, engine: Engine, terms: [Term], recentCharges: [ChargeEvent], nowMs: Int64, startedAtMs: Int64, pid: Int32
    ) {
        self.nodeID = nodeID
        self.role = role
        self.leaderID = leaderID
        self.token = token
        self.leaseRemainingMs = leaseRemainingMs
        self.leaseTTLMs = leaseTTLMs
        self.billingPaused = billingPaused
        self.engine = engine
        self.terms = terms
        self.recentCharges = recentCharges
        self.nowMs = nowMs
        self.startedAtMs = startedAtMs
        self.pid = pid
    }
}
