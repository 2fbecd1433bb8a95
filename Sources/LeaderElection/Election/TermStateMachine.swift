/// The decisions of one term, free of IO and of real time: from the lease grant, through the
/// campaign and the leadership, to the term's end. The ``Election`` shell feeds it events (with
/// the current time as an offset on the election's clock) and carries out what it returns.
///
/// The rule it enforces: this candidate may act as leader only before
/// `sentAt(last acknowledged renewal) + leaseTTL - safetyMargin`. The store cannot expire the
/// lease earlier, because it processed that renewal after it was sent.
package struct TermStateMachine: Sendable {
    /// Where the term is.
    package enum Phase: Hashable, Sendable {
        /// Lease held; waiting to be elected.
        case campaigning
        /// Elected; acting as leader while the deadline holds.
        case leading
        /// Over, for the given cause.
        case ended(LeadershipLossCause)
    }

    /// What the renewal loop should do next.
    package enum RenewalAction: Hashable, Sendable {
        /// Send a renewal now; its send time is `sentAt`; give up on it at `timeout`.
        case renew(sentAt: Duration, timeout: Duration)
        /// Nothing to do before `until`.
        case wait(until: Duration)
        /// The term is over.
        case stop(LeadershipLossCause)
    }

    /// How a store call failed, as far as the decisions care.
    package enum Failure: Hashable, Sendable {
        /// The store says the lease or candidacy is gone.
        case leaseExpired
        /// Anything else: unreachable, timed out, unknown. May be retried.
        case transient
    }

    package let configuration: Election.Configuration
    package private(set) var phase: Phase = .campaigning
    /// Whether this term reached ``Phase/leading`` (it stays true after the term ends).
    package private(set) var wasElected = false
    /// The instant (election clock offset) after which this candidate must not act as leader.
    package private(set) var deadline: Duration
    private var nextRenewal: Duration
    private var consecutiveRenewalFailures = 0

    /// A term begins when a lease grant sent at `grantSentAt` is acknowledged.
    package init(configuration: Election.Configuration, grantSentAt: Duration) {
        self.configuration = configuration
        self.deadline = grantSentAt + configuration.leadershipWindow
        self.nextRenewal = grantSentAt + configuration.renewInterval
    }

    /// Whether this candidate may act as leader at `now`.
    package func isLeading(at now: Duration) -> Bool {
        phase == .leading && now < deadline
    }

    /// The renewal loop asks what to do at `now`.
    package mutating func nextRenewalAction(now: Duration) -> RenewalAction {
        if let cause = checkDeadline(now: now) { return .stop(cause) }
        if now >= nextRenewal {
            // A renewal slower than one interval is abandoned and sent again; it can never
            // extend the deadline past what its own send time allows anyway.
            return .renew(sentAt: now, timeout: min(deadline, now + configuration.renewInterval))
        }
        return .wait(until: min(nextRenewal, deadline))
    }

    /// A renewal sent at `sentAt` was acknowledged by the store.
    package mutating func renewalSucceeded(sentAt: Duration) {
        consecutiveRenewalFailures = 0
        guard !isEnded else { return }
        deadline = max(deadline, sentAt + configuration.leadershipWindow)
        nextRenewal = max(nextRenewal, sentAt + configuration.renewInterval)
    }

    /// A renewal failed at `now`.
    package mutating func renewalFailed(_ failure: Failure, now: Duration) {
        switch failure {
        case .leaseExpired:
            end(.leaseExpired)
        case .transient:
            consecutiveRenewalFailures += 1
            nextRenewal = now + configuration.retryBackoff.delay(attempt: consecutiveRenewalFailures)
        }
    }

    /// The store reports this candidacy leads. Returns whether to start acting as leader.
    package mutating func elected(now: Duration) -> Bool {
        guard phase == .campaigning else { return false }
        if checkDeadline(now: now) != nil { return false }
        phase = .leading
        wasElected = true
        return true
    }

    /// A campaign call failed with `failure` (its `attempt`-th consecutive failure).
    /// Returns the delay before retrying, or nil when the term is over.
    package mutating func campaignFailed(_ failure: Failure, attempt: Int, now: Duration) -> Duration? {
        if failure == .leaseExpired { end(.leaseExpired) }
        if isEnded || checkDeadline(now: now) != nil { return nil }
        return configuration.retryBackoff.delay(attempt: attempt)
    }

    /// Ends the term when the deadline has passed at `now`; returns the cause once ended.
    package mutating func checkDeadline(now: Duration) -> LeadershipLossCause? {
        if case .ended(let cause) = phase { return cause }
        if now >= deadline {
            phase = .ended(.deadlinePassed)
            return .deadlinePassed
        }
        return nil
    }

    /// Ends the term for `cause` unless it already ended. Returns the cause that stands.
    @discardableResult
    package mutating func end(_ cause: LeadershipLossCause) -> LeadershipLossCause {
        if case .ended(let earlier) = phase { return earlier }
        phase = .ended(cause)
        return cause
    }

    /// Whether the term is over.
    package var isEnded: Bool {
        if case .ended = phase { return true }
        return false
    }
}
