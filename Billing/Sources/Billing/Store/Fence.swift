import LeaderElection

/// The authority an engine writes with: a leadership's election and fencing token.
///
/// The store keeps, per election, the highest token it has seen; a write with a lower token fails
/// with ``BillingError/Code/staleFencingToken``, and a write with a higher one raises the stored
/// highest, in the same transaction as the write.
public struct Fence: Hashable, Sendable, CustomStringConvertible {
    /// The election whose leader writes (for example `billing-renewals`).
    public var election: String
    /// The leader's fencing token.
    public var token: FencingToken

    /// Creates a fence.
    public init(election: String, token: FencingToken) {
        self.election = election
        self.token = token
    }

    /// The fence of a leadership.
    public init(_ leadership: Leadership) {
        self.init(election: leadership.election, token: leadership.token)
    }

    /// The error for a write with this fence when the store has already seen `highest`.
    func staleError(highest: FencingToken) -> BillingError {
        BillingError(
            code: .staleFencingToken,
            message:
                "fencing token \(token) of election '\(election)' is stale: the billing store has seen token \(highest); this replica is no longer the leader and must stop billing"
        )
    }

    public var description: String { "\(election)#\(token)" }
}
