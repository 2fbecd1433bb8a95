import Glibc
import Synchronization

/// The node's wall clock in milliseconds since 1970, for timestamps shown to people (never for
/// lease arithmetic, which uses the election's monotonic clock, nor for deciding what is due,
/// which uses the database's clock).
enum WallClock {
    /// Added to every reading: `billing node --clock-skew`, the fault harness's skewed clock.
    static let skewMs = Atomic<Int64>(0)

    static func nowMs() -> Int64 {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return Int64(spec.tv_sec) * 1000 + Int64(spec.tv_nsec) / 1_000_000 + skewMs.load(ordering: .relaxed)
    }
}
