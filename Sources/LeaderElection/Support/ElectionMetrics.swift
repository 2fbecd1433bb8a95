import Metrics

/// The metrics one ``Election`` reports through swift-metrics, dimensioned by election and candidate.
///
/// - `leader_election_is_leader` (gauge, 1 while leading)
/// - `leader_election_leadership_acquired_total` (counter)
/// - `leader_election_renewals_total` (counter, `result` = `success` | `failure`)
/// - `leader_election_renewal_duration_seconds` (timer)
/// - `leader_election_losses_total` (counter, `cause` = a ``LeadershipLossCause``)
struct ElectionMetrics: Sendable {
    private let dimensions: [(String, String)]
    private let factory: any MetricsFactory
    private let isLeader: Gauge
    private let acquired: Counter
    private let renewalSuccesses: Counter
    private let renewalFailures: Counter
    private let renewalDuration: Metrics.Timer

    init(election: String, candidateID: String, factory: any MetricsFactory) {
        let dimensions = [("election", election), ("candidate", candidateID)]
        self.dimensions = dimensions
        self.factory = factory
        isLeader = Gauge(label: "leader_election_is_leader", dimensions: dimensions, factory: factory)
        acquired = Counter(label: "leader_election_leadership_acquired_total", dimensions: dimensions, factory: factory)
        renewalSuccesses = Counter(
            label: "leader_election_renewals_total", dimensions: dimensions + [("result", "success")], factory: factory)
        renewalFailures = Counter(
            label: "leader_election_renewals_total", dimensions: dimensions + [("result", "failure")], factory: factory)
        renewalDuration = Metrics.Timer(label: "leader_election_renewal_duration_seconds", dimensions: dimensions, factory: factory)
    }

    func setLeading(_ leading: Bool) { isLeader.record(leading ? 1 : 0) }

    func leadershipAcquired() { acquired.increment() }

    func renewalSucceeded(latency: Duration) {
        renewalSuccesses.increment()
        renewalDuration.recordNanoseconds(latency.nanoseconds)
    }

    func renewalFailed() { renewalFailures.increment() }

    func leadershipLost(cause: LeadershipLossCause) {
        Counter(label: "leader_election_losses_total", dimensions: dimensions + [("cause", cause.rawValue)], factory: factory).increment()
    }
}

extension Duration {
    /// The duration in whole nanoseconds, saturating.
    package var nanoseconds: Int64 {
        let (seconds, attoseconds) = components
        let (product, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        if overflow { return seconds < 0 ? .min : .max }
        return product.addingReportingOverflow(attoseconds / 1_000_000_000).partialValue
    }
}
