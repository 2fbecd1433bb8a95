import Billing
import Glibc
import LeaderElection
import Synchronization

/// The live state of one node that `/status`, `/metrics` and the dashboard read: the leader it
/// observes, its own leadership, the engine's counters and its last provider calls.
final class NodeState: Sendable {
    private struct Storage {
        var observedLeader: Candidacy?
        var leadership: Leadership?
        var paused = false
        var ready = false
        var engine = NodeStatus.Engine()
        var terms: [NodeStatus.Term] = []
        var recentCharges: [ChargeEvent] = []
        var chargesNeedingReview: Int?
        var outbox: NodeStatus.Outbox?
    }

    let nodeID: String
    let leaseTTL: Duration
    let startedAtMs = WallClock.nowMs()
    private let storage = Mutex(Storage())

    init(nodeID: String, leaseTTL: Duration) {
        self.nodeID = nodeID
        self.leaseTTL = leaseTTL
    }

    /// Records the leader the election's observation reported (nil: none).
    func leaderObserved(_ candidate: Candidacy?) {
        let now = WallClock.nowMs()
        storage.withLock { state in
            state.ready = true
            state.observedLeader = candidate
            Self.noteTerm(candidate.map { ($0.value, $0.token.rawValue) }, at: now, in: &state)
        }
    }

    /// Records that this node leads now.
    func becameLeader(_ leadership: Leadership) {
        let now = WallClock.nowMs()
        storage.withLock { state in
            state.leadership = leadership
            Self.noteTerm((nodeID, leadership.token.rawValue), at: now, in: &state)
        }
    }

    /// Records that this node's leadership ended.
    func leadershipEnded() {
        storage.withLock { state in
            state.leadership = nil
            if state.observedLeader?.value == nodeID { state.observedLeader = nil }
        }
    }

    private static func noteTerm(_ leader: (id: String, token: Int64)?, at now: Int64, in state: inout Storage) {
        if let last = state.terms.last, last.untilMs == nil, last.token == leader?.token { return }
        if let index = state.terms.indices.last, state.terms[index].untilMs == nil {
            state.terms[index].untilMs = now
        }
        guard let leader else { return }
        // The own leadership and the observation report the same term; keep one entry per token.
        if state.terms.contains(where: { $0.token == leader.token }) { return }
        state.terms.append(.init(leaderID: leader.id, token: leader.token, sinceMs: now, untilMs: nil))
        if state.terms.count > 50 { state.terms.removeFirst(state.terms.count - 50) }
    }

    /// Adds a pass's report to the counters.
    func record(_ report: RenewalReport) {
        storage.withLock { state in
            state.engine.passes += 1
            state.engine.charged += report.charged
            state.engine.declined += report.declined
            state.engine.retriesScheduled += report.retriesScheduled
            state.engine.unknown += report.unknown
            state.engine.reconciled += report.reconciled
            state.engine.canceledForNonPayment += report.canceledForNonPayment
            state.engine.parkedForReview += report.parkedForReview
            state.engine.refundReviews += report.refundReviews
            state.engine.conflicts += report.conflicts
            state.engine.lastError = nil
        }
    }

    /// Records how many charges in the database need an operator.
    func recordChargesNeedingReview(_ count: Int) {
        storage.withLock { $0.chargesNeedingReview = count }
    }

    /// Records the outbox's backlog as last read.
    func recordOutbox(_ outbox: NodeStatus.Outbox) {
        storage.withLock { $0.outbox = outbox }
    }

    /// Records a failed pass.
    func recordFailure(_ message: String) {
        storage.withLock { $0.engine.lastError = message }
    }

    /// Records one provider call.
    func record(_ event: ChargeEvent) {
        storage.withLock { state in
            if event.outcome != "succeeded" && event.outcome != "declined" { state.engine.providerRetries += 1 }
            state.recentCharges.append(event)
            if state.recentCharges.count > 50 { state.recentCharges.removeFirst(state.recentCharges.count - 50) }
        }
    }

    /// Whether billing is paused on this node.
    var isPaused: Bool {
        get { storage.withLock { $0.paused } }
        set { storage.withLock { $0.paused = newValue } }
    }

    /// Whether the node has heard from the coordination store (its first observation arrived).
    var isReady: Bool { storage.withLock { $0.ready } }

    /// Whether this node leads now.
    var isLeader: Bool { storage.withLock { $0.leadership?.isValid ?? false } }

    /// A snapshot for `/status`.
    func status() -> NodeStatus {
        let now = WallClock.nowMs()
        return storage.withLock { state in
            let leading = state.leadership.flatMap { $0.isValid ? $0 : nil }
            let remaining = leading.map { leadership -> Int64 in
                let (seconds, attoseconds) = leadership.remainingTime().components
                return max(0, seconds * 1000 + attoseconds / 1_000_000_000_000_000)
            }
            let leaderID = leading != nil ? nodeID : state.observedLeader?.value
            let token = leading?.token.rawValue ?? state.observedLeader?.token.rawValue
            let (ttlSeconds, ttlAttoseconds) = leaseTTL.components
            var status = NodeStatus(
                nodeID: nodeID, role: leading != nil ? "leader" : "follower", leaderID: leaderID, token: token,
                leaseRemainingMs: remaining, leaseTTLMs: ttlSeconds * 1000 + ttlAttoseconds / 1_000_000_000_000_000,
                billingPaused: state.paused, engine: state.engine, terms: state.terms, recentCharges: state.recentCharges,
                nowMs: now, startedAtMs: startedAtMs, pid: getpid()
            )
            status.chargesNeedingReview = state.chargesNeedingReview
            status.outbox = state.outbox
            return status
        }
    }
}
