import Glibc

/// Readings of `CLOCK_BOOTTIME` in nanoseconds: the one clock of every `mono_ns` field.
///
/// The clock is system-wide on Linux, so values printed by different processes of one host
/// compare directly; it keeps counting while the machine is suspended. Not comparable across hosts.
enum MonotonicTime {
    /// Nanoseconds on `CLOCK_BOOTTIME` now.
    static func nanoseconds() -> Int64 {
        var now = timespec()
        clock_gettime(CLOCK_BOOTTIME, &now)
        return Int64(now.tv_sec) * 1_000_000_000 + Int64(now.tv_nsec)
    }
}

extension Duration {
    /// This duration in whole nanoseconds (truncated).
    var nanoseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }
}
