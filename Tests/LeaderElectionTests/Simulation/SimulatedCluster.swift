@testable import LeaderElection

/// A deterministic discrete-event simulation of candidates electing a leader on the in-memory
/// store (``InMemoryElectionState``), under a seeded schedule of crashes, pauses, and slow,
/// failed and lost store calls. Simulated time only: the same seed replays the same run.
///
/// Checked after every event: no two candidates believe they lead at the same instant; tokens
/// of successive leaderships strictly increase. At the end: once faults stopped, a leader
/// appeared within TTL + renewInterval.
struct SimulatedCluster {
    struct Report {
        var seed: UInt64
        var events = 0
        var invariantChecks = 0
        var leaderships = 0
        var crashes = 0
        var pauses = 0
        var faultedCalls = 0
        var recoveryTime: Duration?
        var violation: String?
    }

    static let configuration = try! Election.Configuration(
        leaseTTL: .seconds(3),
        renewInterval: .seconds(1),
        safetyMargin: .milliseconds(300),
        retryBackoff: RetryBackoff(initial: .milliseconds(50), maximum: .milliseconds(500))
    )
    static let pollInterval = Duration.milliseconds(100)
    static let faultsEnd = Duration.seconds(40)

    private var rng: SplitMix64
    private var now = Duration.zero
    private var store = InMemoryElectionState()
    private var candidates: [SimulatedCandidate]
    private var queue: [(time: Duration, sequence: Int, event: SimulationEvent)] = []
    private var sequence = 0
    private var lastToken: FencingToken?
    private var quietFrom = faultsEnd
    private var report: Report
    /// Prints every event with every candidate's state (for replaying one seed).
    var trace = false

    init(seed: UInt64, candidates count: Int = 5) {
        rng = SplitMix64(seed: seed)
        candidates = (0..<count).map { SimulatedCandidate(id: $0) }
        report = Report(seed: seed)
    }

    /// Runs the whole simulation and returns what it saw.
    mutating func run() -> Report {
        for candidate in candidates.indices {
            schedule(.start(candidate: candidate), at: random(.zero, .milliseconds(500)))
        }
        scheduleFaults()
        let end = quietFrom + Self.configuration.leaseTTL + Self.configuration.renewInterval + .seconds(2)
        while !queue.isEmpty, report.violation == nil {
            let next = queue.removeFirst()
            guard next.time <= end else { break }
            now = next.time
            report.events += 1
            if trace { print(traceLine(next.event)) }
            dispatch(next.event)
            checkInvariants()
        }
        if report.violation == nil {
            let limit = Self.configuration.leaseTTL + Self.configuration.renewInterval
            if let recovery = report.recoveryTime, recovery <= limit {
                // Live.
            } else {
                report.violation =
                    "no leader within \(limit) after faults stopped at \(quietFrom) (first leader after: \(report.recoveryTime.map { "\($0)" } ?? "none"))"
            }
        }
        return report
    }

    // MARK: - Schedule

    private mutating func schedule(_ event: SimulationEvent, at requested: Duration) {
        // Something due in the past (a resumed candidate's old deadline) happens now: time never runs backward.
        let time = max(requested, now)
        sequence += 1
        let entry = (time: time, sequence: sequence, event: event)
        let index = queue.firstIndex { ($0.time, $0.sequence) > (time, sequence) } ?? queue.endIndex
        queue.insert(entry, at: index)
    }

    private mutating func random(_ low: Duration, _ high: Duration) -> Duration {
        .nanoseconds(Int64.random(in: low.nanoseconds...high.nanoseconds, using: &rng))
    }

    private mutating func scheduleFaults() {
        var time = Duration.seconds(2)
        let ttl = Self.configuration.leaseTTL
        while true {
            time += random(.milliseconds(500), .seconds(4))
            guard time < Self.faultsEnd else { break }
            let candidate = Int.random(in: 0..<candidates.count, using: &rng)
            if Bool.random(using: &rng) {
                report.crashes += 1
                schedule(.crash(candidate: candidate), at: time)
                let restart = time + random(.milliseconds(100), .seconds(5))
                schedule(.start(candidate: candidate), at: restart)
                quietFrom = max(quietFrom, restart)
            } else {
                report.pauses += 1
                schedule(.pause(candidate: candidate), at: time)
                let resume = time + random(.milliseconds(200), ttl * 5 / 2)
                schedule(.resume(candidate: candidate), at: resume)
                quietFrom = max(quietFrom, resume)
            }
        }
    }

    // MARK: - Events

    private mutating func dispatch(_ event: SimulationEvent) {
        let index = event.candidate
        switch event {
        case .crash:
            crash(index)
            return
        case .pause:
            if candidates[index].life != .down { candidates[index].paused = true }
            return
        case .resume:
            resume(index)
            return
        case .request(let request):
            handle(request)
            return
        default:
            break
        }
        if candidates[index].paused {
            candidates[index].deferred.append(event)
            return
        }
        handle(event, candidate: index)
    }

    private mutating func handle(_ event: SimulationEvent, candidate index: Int) {
        switch event {
        case .start:
            guard candidates[index].life == .down else { return }
            candidates[index].life = .granting(sentAt: now)
            send(.grant, from: index)
        case .renewalTick(_, let incarnation):
            guard isCurrent(index, incarnation) else { return }
            renewalTick(index)
        case .renewalTimeout(_, let incarnation, let request):
            guard isCurrent(index, incarnation), candidates[index].renewalInFlight?.id == request else { return }
            candidates[index].renewalInFlight = nil
            candidates[index].term?.renewalFailed(.transient, now: now)
            renewalTick(index)
        case .watchdog(_, let incarnation):
            guard isCurrent(index, incarnation), let term = candidates[index].term else { return }
            if let cause = candidates[index].term?.checkDeadline(now: now) {
                endTerm(index, cause)
            } else {
                schedule(.watchdog(candidate: index, incarnation: incarnation), at: term.deadline)
            }
        case .campaignStep(_, let incarnation):
            guard isCurrent(index, incarnation), let lease = candidates[index].lease else { return }
            if let candidacy = candidates[index].candidacy {
                send(.poll(candidacy), from: index)
            } else {
                send(.join(lease), from: index)
            }
        case .response(let response):
            handle(response, candidate: index)
        case .crash, .pause, .resume, .request:
            break
        }
    }

    private func isCurrent(_ index: Int, _ incarnation: Int) -> Bool {
        candidates[index].incarnation == incarnation && candidates[index].life == .running
            && candidates[index].term?.isEnded == false
    }

    private mutating func renewalTick(_ index: Int) {
        guard candidates[index].renewalInFlight == nil, var term = candidates[index].term, let lease = candidates[index].lease else {
            return
        }
        let action = term.nextRenewalAction(now: now)
        candidates[index].term = term
        let incarnation = candidates[index].incarnation
        switch action {
        case .stop(let cause):
            endTerm(index, cause)
        case .wait(let until):
            schedule(.renewalTick(candidate: index, incarnation: incarnation), at: until)
        case .renew(let sentAt, let timeout):
            candidates[index].nextRequestID += 1
            let id = candidates[index].nextRequestID
            candidates[index].renewalInFlight = (sentAt, id)
            send(.renew(lease, requestID: id), from: index)
            schedule(.renewalTimeout(candidate: index, incarnation: incarnation, request: id), at: timeout)
        }
    }

    private mutating func handle(_ response: StoreResponse, candidate index: Int) {
        let request = response.request
        if case .grant = request.kind {
            guard case .granting(let sentAt) = candidates[index].life, request.sentAt == sentAt else { return }
            guard case .granted(let lease) = response.outcome else {
                candidates[index].life = .down
                schedule(.start(candidate: index), at: now + Self.configuration.retryBackoff.initial)
                return
            }
            candidates[index].incarnation += 1
            candidates[index].life = .running
            candidates[index].lease = lease
            candidates[index].candidacy = nil
            candidates[index].campaignFailures = 0
            candidates[index].renewalInFlight = nil
            let term = TermStateMachine(configuration: Self.configuration, grantSentAt: sentAt)
            candidates[index].term = term
            let incarnation = candidates[index].incarnation
            schedule(.watchdog(candidate: index, incarnation: incarnation), at: term.deadline)
            renewalTick(index)
            handle(.campaignStep(candidate: index, incarnation: incarnation), candidate: index)
            return
        }
        guard isCurrent(index, request.incarnation) else { return }
        switch (request.kind, response.outcome) {
        case (.renew(_, let id), let outcome):
            guard let inFlight = candidates[index].renewalInFlight, inFlight.id == id else { return }
            candidates[index].renewalInFlight = nil
            switch outcome {
            case .ok: candidates[index].term?.renewalSucceeded(sentAt: inFlight.sentAt)
            case .leaseGone: candidates[index].term?.renewalFailed(.leaseExpired, now: now)
            default: candidates[index].term?.renewalFailed(.transient, now: now)
            }
            renewalTick(index)
        case (.join, .joined(let candidacy)):
            candidates[index].candidacy = candidacy
            candidates[index].campaignFailures = 0
            handle(.campaignStep(candidate: index, incarnation: request.incarnation), candidate: index)
        case (.poll(let candidacy), .standing(.leading)):
            guard candidates[index].term?.elected(now: now) == true else {
                endTerm(index, candidates[index].term?.checkDeadline(now: now) ?? .deadlinePassed)
                return
            }
            elected(index, token: candidacy.token)
        case (.poll, .standing(.waiting)):
            schedule(.campaignStep(candidate: index, incarnation: request.incarnation), at: now + Self.pollInterval)
        case (.poll, .standing(.gone)), (.join, .leaseGone), (.poll, .leaseGone):
            campaignFailed(index, .leaseExpired)
        default:
            campaignFailed(index, .transient)
        }
    }

    private mutating func campaignFailed(_ index: Int, _ failure: TermStateMachine.Failure) {
        candidates[index].campaignFailures += 1
        let attempt = candidates[index].campaignFailures
        guard let delay = candidates[index].term?.campaignFailed(failure, attempt: attempt, now: now) else {
            endTerm(index, candidates[index].term?.checkDeadline(now: now) ?? .leaseExpired)
            return
        }
        schedule(.campaignStep(candidate: index, incarnation: candidates[index].incarnation), at: now + delay)
    }

    private mutating func elected(_ index: Int, token: FencingToken) {
        if let lastToken, token <= lastToken {
            report.violation = "candidate \(index) elected with token \(token) at \(now), not above the previous leader's \(lastToken)"
        }
        lastToken = token
        report.leaderships += 1
        candidates[index].leadingSince = (token, now)
    }

    /// Like ``Election``: the term ends, the lease is revoked, and the candidate campaigns again.
    private mutating func endTerm(_ index: Int, _ cause: LeadershipLossCause) {
        candidates[index].term?.end(cause)
        if let lease = candidates[index].lease { send(.revoke(lease), from: index) }
        candidates[index].leadingSince = nil
        candidates[index].lease = nil
        candidates[index].term = nil
        candidates[index].life = .down
        candidates[index].incarnation += 1
        schedule(.start(candidate: index), at: now + Self.configuration.retryBackoff.delay(attempt: 1))
    }

    private mutating func crash(_ index: Int) {
        candidates[index].incarnation += 1
        candidates[index].life = .down
        candidates[index].paused = false
        candidates[index].deferred = []
        candidates[index].term = nil
        candidates[index].lease = nil
        candidates[index].leadingSince = nil
    }

    private mutating func resume(_ index: Int) {
        guard candidates[index].paused else { return }
        candidates[index].paused = false
        let deferred = candidates[index].deferred
        candidates[index].deferred = []
        for event in deferred where !candidates[index].paused {
            handle(event, candidate: index)
            checkInvariants()
        }
    }

    // MARK: - The store and its faults

    private mutating func send(_ kind: StoreRequest.Kind, from index: Int) {
        let request = StoreRequest(candidate: index, incarnation: candidates[index].incarnation, sentAt: now, kind: kind)
        let faulty = now < Self.faultsEnd
        let roll = Int.random(in: 0..<100, using: &rng)
        let slow = faulty && roll >= 85
        let toStore = slow ? random(.milliseconds(100), .milliseconds(800)) : random(.microseconds(500), .milliseconds(10))
        if faulty && roll < 8 {
            // Failed before reaching the store.
            report.faultedCalls += 1
            schedule(.response(StoreResponse(request: request, outcome: .unavailable)), at: now + toStore)
            return
        }
        schedule(.request(request), at: now + toStore)
    }

    private mutating func handle(_ request: StoreRequest) {
        let outcome: StoreResponse.Outcome
        switch request.kind {
        case .grant:
            outcome = .granted(store.grantLease(ttl: Self.configuration.leaseTTL, now: now))
        case .renew(let lease, _):
            outcome = (try? store.renewLease(lease, now: now)) != nil ? .ok : .leaseGone
        case .revoke(let lease):
            store.revokeLease(lease, now: now)
            outcome = .ok
        case .join(let lease):
            let value = "candidate-\(request.candidate)"
            if let candidacy = try? store.campaign(election: "sim", lease: lease, value: value, now: now) {
                outcome = .joined(candidacy)
            } else {
                outcome = .leaseGone
            }
        case .poll(let candidacy):
            store.expireLeases(now: now)
            outcome = .standing(store.standing(of: candidacy))
        }
        let faulty = now < Self.faultsEnd
        let roll = Int.random(in: 0..<100, using: &rng)
        let back = random(.microseconds(500), .milliseconds(10))
        if faulty && roll < 5 {
            // Applied, but the response is lost.
            report.faultedCalls += 1
            schedule(.response(StoreResponse(request: request, outcome: .unavailable)), at: now + back)
            return
        }
        schedule(.response(StoreResponse(request: request, outcome: outcome)), at: now + back)
    }

    // MARK: - Invariants

    private func traceLine(_ event: SimulationEvent) -> String {
        let states = candidates.map { candidate in
            let term = candidate.term.map { "\($0.phase) deadline \($0.deadline)" } ?? "no term"
            return "\(candidate.id): \(candidate.life)\(candidate.paused ? " paused" : "") \(term)"
        }
        return "\(now) \(event) | \(states.joined(separator: "; "))"
    }

    private mutating func checkInvariants() {
        report.invariantChecks += 1
        let leaders = candidates.filter { $0.believesItLeads(at: now) }
        if leaders.count > 1 {
            let names = leaders.map { "candidate \($0.id) (token \($0.leadingSince.map { "\($0.token)" } ?? "?"))" }
            report.violation = "\(leaders.count) candidates believe they lead at \(now): \(names.joined(separator: ", "))"
        }
        if now >= quietFrom, report.recoveryTime == nil, !leaders.isEmpty {
            report.recoveryTime = now - quietFrom
        }
    }
}
