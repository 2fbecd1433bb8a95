/// Proof that this candidate was elected, valid until its local deadline passes or it is lost.
///
/// Pass ``token`` with every side effect so that the resource can fence out a deposed leader.
/// ``isValid`` is a local judgement: it guarantees that the store has not yet expired the lease,
/// not that a write issued now arrives before the deadline. Fencing covers that gap.
public struct Leadership: Sendable, CustomStringConvertible {
    /// The election's name.
    public let election: String
    /// The identifier this candidate was configured with.
    public let candidateID: String
    /// The value this candidate proclaimed.
    public let value: String
    /// The candidacy's key in the store.
    public let key: String
    /// The fencing token: strictly greater than every earlier leader's of this election.
    public let token: FencingToken
    let term: Term

    init(election: String, candidateID: String, value: String, candidacy: Candidacy, term: Term) {
        self.election = election
        self.candidateID = candidateID
        self.value = value
        self.key = candidacy.key
        self.token = candidacy.token
        self.term = term
    }

    /// The local deadline, as an offset on the election's clock (see ``Election/now()``);
    /// later renewals move it forward.
    public var deadline: Duration { term.deadline }

    /// Time left before the local deadline (zero or negative once it passed).
    public func remainingTime() -> Duration { term.deadline - term.clock.now() }

    /// Whether this leadership still holds: not lost, not resigned, deadline not passed.
    public var isValid: Bool { term.isLeading }

    /// Throws ``ElectionError/Code/leadershipLost`` unless ``isValid``. Call it right before a side effect.
    public func checkValid() throws {
        guard isValid else {
            let cause = term.withMachine { $0.checkDeadline(now: term.clock.now()) } ?? .deadlinePassed
            throw ElectionError.leadershipLost(cause)
        }
    }

    public var description: String { "leader \(candidateID) of \(election) (token \(token), key \(key))" }
}
