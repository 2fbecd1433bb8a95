/// Where the renewal engine reads "now" for every due decision.
///
/// All replicas must agree on it, or a replica whose wall clock runs fast bills early (billing
/// calendar case 13). The production choice is ``DatabaseBillingClock``: the billing database's own
/// time, which every replica asks for; ``SystemBillingClock`` is the host's wall clock, right only
/// when all replicas share one host (the embedded SQLite setup) or their clocks are disciplined.
public protocol BillingClock: Sendable {
    /// The current instant.
    func now() async throws -> Timestamp
}
