#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#else
    #error("BootTimeClock needs clock_gettime")
#endif

/// The host-wide clock that ``SQLiteBackend`` measures lease expiry on.
///
/// On Linux it reads `CLOCK_BOOTTIME`: nanoseconds since the host booted, counting suspended
/// time, the same value in every process of the host, never adjusted by NTP or by hand.
/// On Darwin it reads `CLOCK_MONOTONIC`, which there also counts sleep.
/// Not guaranteed: any relation to wall-clock time, or to the clock of another host.
public enum BootTimeClock {
    /// Nanoseconds since the host booted.
    public static func now() -> Int64 {
        var spec = timespec()
        #if canImport(Darwin)
            let status = clock_gettime(CLOCK_MONOTONIC, &spec)
        #else
            let status = clock_gettime(CLOCK_BOOTTIME, &spec)
        #endif
        // clock_gettime fails only for an unknown clock id, which these constants are not.
        precondition(status == 0, "clock_gettime failed with errno \(errno)")
        return Int64(spec.tv_sec) &* 1_000_000_000 &+ Int64(spec.tv_nsec)
    }
}
