import LeaderElection

/// Converts an `Election`'s clock offsets (`Leadership.deadline`) to `CLOCK_BOOTTIME`
/// nanoseconds (``MonotonicTime``), the scale of event lines and supervisor heartbeats.
///
/// The election measures time on `ContinuousClock`, which on Linux is `CLOCK_BOOTTIME` too; only
/// the origin differs. The origin is estimated once, reading the boot clock *before* the
/// election's, so converted instants err early by the gap between the reads (well under a
/// microsecond), never late: a converted deadline is never later than the real one.
struct ElectionTimeline: Sendable {
    /// `CLOCK_BOOTTIME` nanoseconds at the election clock's zero (estimated, see the type).
    let originNanoseconds: Int64

    /// Estimates the origin of `election`'s clock.
    init(election: Election) {
        let boot = MonotonicTime.nanoseconds()
        let offset = election.now()
        originNanoseconds = boot - offset.nanoseconds
    }

    /// `offset` on the election's clock, in `CLOCK_BOOTTIME` nanoseconds.
    func nanoseconds(_ offset: Duration) -> Int64 {
        originNanoseconds + offset.nanoseconds
    }
}
