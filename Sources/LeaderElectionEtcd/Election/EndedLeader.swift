import LeaderElection

/// A predecessor that was the oldest candidate when this candidate saw its key deleted, with what
/// the polls of its lease knew then.
struct EndedLeader: Sendable {
    let lease: LeaseID
    let deletedAt: ContinuousClock.Instant
    let clock: PredecessorLeaseClock
}
