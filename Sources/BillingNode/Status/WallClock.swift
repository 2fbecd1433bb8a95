import Glibc

/// The host's wall clock in milliseconds since 1970, for timestamps shown to people (never for
/// lease arithmetic, which uses the election's monotonic clock).
enum WallClock {
    static func nowMs() -> Int64 {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return Int64(spec.tv_sec) * 1000 + Int64(spec.tv_nsec) / 1_000_000
    }
}
