import Logging

extension Election {
    /// What a child task of a term returned.
    private enum TermChildResult<Result: Sendable>: Sendable {
        case background
        case finished(Result)
    }

    /// Grants a lease, retrying transient failures with backoff until cancelled. A grant not
    /// answered within the leadership window is abandoned and sent again: a term counted from its
    /// send time would be over before it began, and a stuck call must not hold the candidate.
    func beginTerm() async throws -> Term {
        var attempt = 0
        while true {
            let sentAt = clock.now()
            do {
                let backend = self.backend
                let ttl = configuration.leaseTTL
                let lease = try await clock.withTimeout(until: sentAt + configuration.leadershipWindow, "lease grant") {
                    try await backend.grantLease(ttl: ttl)
                }
                let machine = TermStateMachine(configuration: configuration, grantSentAt: sentAt)
                logger.debug("lease granted", metadata: ["lease": "\(lease)"])
                return Term(lease: lease, machine: machine, clock: clock)
            } catch {
                try Task.checkCancellation()
                attempt += 1
                let delay = configuration.retryBackoff.delay(attempt: attempt)
                logger.warning("lease grant failed; retrying", metadata: ["error": "\(error)", "retryIn": "\(delay)"])
                try await clock.sleep(for: delay)
            }
        }
    }

    /// Runs the tasks of one term: renewals, the deadline watchdog, the resignation listener and
    /// the campaign followed by the body. The first to end the term cancels the others.
    func lead<Result: Sendable>(
        term: Term,
        body: @escaping @Sendable (Leadership) async throws -> Result
    ) async throws -> Result {
        try await withThrowingTaskGroup(of: TermChildResult<Result>.self) { group in
            group.addTask {
                try await self.keepLeaseAlive(term)
                return .background
            }
            group.addTask {
                try await self.watchDeadline(term)
                return .background
            }
            group.addTask {
                for await _ in term.resignations {
                    term.withMachine { _ = $0.end(.resigned) }
                    throw ElectionError.leadershipLost(.resigned)
                }
                return .background
            }
            group.addTask {
                let candidacy = try await self.campaign(term)
                let leadership = try self.becomeLeader(term: term, candidacy: candidacy)
                return .finished(try await body(leadership))
            }
            while let child = try await group.next() {
                if case .finished(let result) = child {
                    group.cancelAll()
                    return result
                }
            }
            // Every path above returns or throws; the campaign task always yields a result.
            throw CancellationError()
        }
    }

    private func becomeLeader(term: Term, candidacy: Candidacy) throws -> Leadership {
        let now = clock.now()
        guard term.withMachine({ $0.elected(now: now) }) else {
            let cause = term.withMachine { $0.checkDeadline(now: now) } ?? .deadlinePassed
            throw ElectionError.leadershipLost(cause)
        }
        let leadership = Leadership(election: name, candidateID: candidateID, value: value, candidacy: candidacy, term: term)
        setLeadership(leadership)
        metrics.leadershipAcquired()
        logger.info(
            "elected leader",
            metadata: ["token": "\(leadership.token)", "key": "\(leadership.key)", "remaining": "\(leadership.remainingTime())"]
        )
        return leadership
    }

    /// Joins the election and waits to lead, retrying transient failures while the term holds.
    /// Both store calls are left at once when the term ends, even if they ignore cancellation,
    /// so that a stuck call never keeps this candidate out of the next election.
    private func campaign(_ term: Term) async throws -> Candidacy {
        var candidacy: Candidacy?
        var attempt = 0
        let backend = self.backend
        let (name, lease, value) = (self.name, term.lease, self.value)
        while true {
            do {
                let joined: Candidacy
                if let candidacy {
                    joined = candidacy
                } else {
                    joined = try await AbandonableCall.run { try await backend.campaign(election: name, lease: lease, value: value) }
                }
                candidacy = joined
                try await AbandonableCall.run { try await backend.waitUntilLeader(joined) }
                return joined
            } catch {
                try Task.checkCancellation()
                attempt += 1
                let failure = Self.classify(error)
                let delay = term.withMachine { $0.campaignFailed(failure, attempt: attempt, now: clock.now()) }
                guard let delay else {
                    throw ElectionError.leadershipLost(term.withMachine { $0.end(.leaseExpired) })
                }
                logger.warning("campaign call failed; retrying", metadata: ["error": "\(error)", "retryIn": "\(delay)"])
                try await clock.sleep(for: delay)
            }
        }
    }

    /// Renews the lease as the state machine says; throws when the term ends.
    private func keepLeaseAlive(_ term: Term) async throws {
        while true {
            let action = term.withMachine { $0.nextRenewalAction(now: clock.now()) }
            switch action {
            case .stop(let cause):
                throw ElectionError.leadershipLost(cause)
            case .wait(let until):
                try await clock.sleep(until: until)
            case .renew(let sentAt, let timeout):
                let backend = self.backend
                let lease = term.lease
                do {
                    try await clock.withTimeout(until: timeout, "renewal of lease \(lease)") {
                        try await backend.renewLease(lease)
                    }
                    term.withMachine { $0.renewalSucceeded(sentAt: sentAt) }
                    metrics.renewalSucceeded(latency: clock.now() - sentAt)
                } catch {
                    try Task.checkCancellation()
                    let failure = Self.classify(error)
                    term.withMachine { $0.renewalFailed(failure, now: clock.now()) }
                    metrics.renewalFailed()
                    logger.warning("lease renewal failed", metadata: ["lease": "\(lease)", "error": "\(error)"])
                }
            }
        }
    }

    /// Sleeps until the local deadline; throws when it passes without being extended.
    private func watchDeadline(_ term: Term) async throws {
        while true {
            let now = clock.now()
            let (cause, deadline) = term.withMachine { ($0.checkDeadline(now: now), $0.deadline) }
            if let cause { throw ElectionError.leadershipLost(cause) }
            try await clock.sleep(until: deadline)
        }
    }

    /// Ends `term`, withdraws the published leadership and revokes the lease.
    func release(_ term: Term, cause: LeadershipLossCause) async {
        let (wasElected, finalCause) = term.withMachine { ($0.wasElected, $0.end(cause)) }
        clear(term)
        if wasElected {
            metrics.leadershipLost(cause: finalCause)
            logger.info("leadership ended", metadata: ["cause": "\(finalCause)"])
        }
        // Revoke in a task of its own: the caller may be cancelled, and a cancelled task could not
        // reach the store. Awaited right here, so it does not outlive this call.
        let backend = self.backend
        let clock = self.clock
        let lease = term.lease
        let limit = configuration.renewInterval
        let revocation = Task {
            try await clock.withTimeout(until: clock.now() + limit, "revocation of lease \(lease)") {
                try await backend.revokeLease(lease)
            }
        }
        do {
            try await revocation.value
        } catch {
            logger.warning("could not revoke the lease; the store expires it after its TTL", metadata: ["error": "\(error)"])
        }
        term.markReleased()
    }

    func lossCause(for error: any Error, term: Term) -> LeadershipLossCause {
        if let error = error as? ElectionError, let cause = error.lossCause { return cause }
        if let error = error as? ElectionError, error.code == .leaseExpired { return .leaseExpired }
        if error is CancellationError { return term.withMachine { $0.checkDeadline(now: clock.now()) } ?? .cancelled }
        // The body threw its own error: it gave leadership up.
        return .resigned
    }

    static func classify(_ error: any Error) -> TermStateMachine.Failure {
        if let error = error as? ElectionError, error.code == .leaseExpired { return .leaseExpired }
        return .transient
    }
}
