import Glibc

/// `CLOCK_BOOTTIME` nanoseconds, the clock of the `mono_ns` fields `leader` prints.
enum MonotonicClock {
    /// Now, in nanoseconds.
    static func now() -> Int64 {
        var spec = timespec()
        clock_gettime(CLOCK_BOOTTIME, &spec)
        return Int64(spec.tv_sec) * 1_000_000_000 + Int64(spec.tv_nsec)
    }
}
