@testable import LeaderElection

/// One candidate process in the simulation: the same ``TermStateMachine`` the real ``Election``
/// uses, driven by simulated events instead of tasks.
struct SimulatedCandidate {
    enum Life: Equatable {
        /// Crashed; restarts at the given time.
        case down
        /// Waiting for a lease grant sent at `sentAt`.
        case granting(sentAt: Duration)
        /// Holding a lease.
        case running
    }

    let id: Int
    /// Bumped on every crash and every new term, so that stale events are ignored.
    var incarnation = 0
    var life: Life = .down
    var paused = false
    /// Events that arrived while paused, processed on resume.
    var deferred: [SimulationEvent] = []
    var term: TermStateMachine?
    var lease: LeaseID?
    var candidacy: Candidacy?
    var renewalInFlight: (sentAt: Duration, id: Int)?
    var nextRequestID = 0
    var campaignFailures = 0
    /// The token and the time this candidate started leading in its current term.
    var leadingSince: (token: FencingToken, at: Duration)?

    init(id: Int) { self.id = id }

    func believesItLeads(at now: Duration) -> Bool {
        guard life == .running, let term else { return false }
        return term.isLeading(at: now)
    }
}

/// Something that happens at an instant of simulated time.
enum SimulationEvent {
    /// The candidate's renewal loop wakes.
    case renewalTick(candidate: Int, incarnation: Int)
    /// The candidate's deadline watchdog wakes.
    case watchdog(candidate: Int, incarnation: Int)
    /// A renewal request gives up waiting.
    case renewalTimeout(candidate: Int, incarnation: Int, request: Int)
    /// The candidate retries its campaign (join, or a poll of its standing).
    case campaignStep(candidate: Int, incarnation: Int)
    /// The candidate starts (again): it asks for a lease.
    case start(candidate: Int)
    /// A request reaches the store.
    case request(StoreRequest)
    /// A response reaches the candidate.
    case response(StoreResponse)
    case crash(candidate: Int)
    case pause(candidate: Int)
    case resume(candidate: Int)

    var candidate: Int {
        switch self {
        case .renewalTick(let c, _), .watchdog(let c, _), .renewalTimeout(let c, _, _), .campaignStep(let c, _),
            .start(let c), .crash(let c), .pause(let c), .resume(let c):
            c
        case .request(let request): request.candidate
        case .response(let response): response.request.candidate
        }
    }
}

/// A call from a candidate to the store.
struct StoreRequest {
    enum Kind {
        case grant
        case renew(LeaseID, requestID: Int)
        case revoke(LeaseID)
        case join(LeaseID)
        case poll(Candidacy)
    }

    var candidate: Int
    var incarnation: Int
    var sentAt: Duration
    var kind: Kind
}

/// The store's answer.
struct StoreResponse {
    enum Outcome {
        case granted(LeaseID)
        case ok
        case joined(Candidacy)
        case standing(InMemoryElectionState.Standing)
        case leaseGone
        case unavailable
    }

    var request: StoreRequest
    var outcome: Outcome
}
