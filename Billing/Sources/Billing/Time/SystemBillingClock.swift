#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// The host's wall clock (UTC), read from the system's realtime clock.
///
/// Not guaranteed: agreement between hosts, or monotonicity (the wall clock can be stepped).
public struct SystemBillingClock: BillingClock {
    /// Creates the clock.
    public init() {}

    /// The host's current time.
    public func now() async throws -> Timestamp { Self.read() }

    /// The host's current time, synchronously.
    public static func read() -> Timestamp {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return Timestamp(millisecondsSinceEpoch: Int64(spec.tv_sec) * 1000 + Int64(spec.tv_nsec) / 1_000_000)
    }
}
