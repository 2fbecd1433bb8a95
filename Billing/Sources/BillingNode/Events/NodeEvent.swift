/// One line of a node's event log (`billing node --event-log PATH`): a leadership change, a
/// fenced write to the billing store, or a call to the payment provider.
///
/// The fault-injection harness reads these logs as one of its three independent records of a
/// run (beside the provider's ledger and the database). Times are the host's real wall clock in
/// milliseconds since 1970, never the node's skewed clock, so that the logs of all nodes can be
/// compared with each other and with the harness's fault schedule.
public struct NodeEvent: Codable, Sendable, Hashable {
    /// What happened.
    public enum Kind: String, Codable, Sendable {
        /// The process started (`detail`: its pid).
        case started
        /// This node began to lead under `token`.
        case leading
        /// This node's leadership under `token` ended (`detail`: why; `deadlineMs`: its local
        /// deadline at that moment, so that a pause that delays this line does not stretch the term).
        case leadershipEnded = "leadership_ended"
        /// A fenced write under `token` (`operation`: `begin_charge` or `record_renewal`) ran from
        /// `startMs` to `timeMs` with `result` `accepted`, `stale` (fenced off) or `failed`.
        case write
        /// A provider call under `token` for `key` ran from `startMs` to `timeMs`; `result` is its outcome.
        case charge
    }

    /// When the event ended, in real milliseconds since 1970.
    public var timeMs: Int64
    /// The node's id.
    public var node: String
    /// What happened.
    public var kind: Kind
    /// The fencing token the node held, for leadership, write and charge events.
    public var token: Int64?
    /// When a write or charge began.
    public var startMs: Int64?
    /// `begin_charge` or `record_renewal`, for writes.
    public var operation: String?
    /// The subscription a write or charge concerned.
    public var subscription: String?
    /// The charged period's start (milliseconds), for writes and charges.
    public var periodStartMs: Int64?
    /// The idempotency key sent, for charges.
    public var key: String?
    /// `accepted`, `stale`, `failed`, or the provider outcome.
    public var result: String?
    /// Free text: an error, a pid, a cause.
    public var detail: String?
    /// For `leadership_ended`: the term's local deadline in real milliseconds since 1970. The term
    /// ended at this or at `timeMs`, whichever came first.
    public var deadlineMs: Int64?

    /// Creates an event.
    public init(
        timeMs: Int64, node: String, kind: Kind, token: Int64? = nil, startMs: Int64? = nil, operation: String? = nil,
        subscription: String? = nil, periodStartMs: Int64? = nil, key: String? = nil, result: String? = nil, detail: String? = nil,
        deadlineMs: Int64? = nil
    ) {
        self.timeMs = timeMs
        self.node = node
        self.kind = kind
        self.token = token
        self.startMs = startMs
        self.operation = operation
        self.subscription = subscription
        self.periodStartMs = periodStartMs
        self.key = key
        self.result = result
        self.detail = detail
        self.deadlineMs = deadlineMs
    }
}
