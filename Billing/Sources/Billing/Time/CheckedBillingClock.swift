/// A billing clock whose every reading is held against this process's own wall clock, and
/// refused when the two disagree by more than ``tolerance``.
///
/// The billing database's clock decides what is due for every replica (``DatabaseBillingClock``),
/// so a step of that one clock (NTP stepping the server, a virtual machine restored from a
/// snapshot) would make every replica bill early, or late, at once. A reading that is more than
/// ``tolerance`` away from the local clock fails with ``BillingError/Code/clockDivergence``: the
/// engine charges nothing and stops, and a `billing node` steps down and campaigns again. If the
/// database's clock is the wrong one, every replica does the same, and billing waits until the
/// clocks agree; if one replica's clock is wrong, another replica leads. Either clock may be the
/// wrong one: only their agreement is trusted.
///
/// Not guaranteed: a step smaller than the tolerance moves due decisions by up to that much.
public struct CheckedBillingClock: BillingClock {
    /// The clock that decides (the database's).
    public let base: any BillingClock
    /// The largest disagreement accepted; default 30 s.
    public let tolerance: Duration
    private let local: @Sendable () -> Timestamp

    /// Checks `base` against `local` (default: the host's wall clock).
    public init(
        base: any BillingClock, tolerance: Duration = .seconds(30), local: @escaping @Sendable () -> Timestamp = SystemBillingClock.read
    ) {
        self.base = base
        self.tolerance = tolerance
        self.local = local
    }

    /// The base clock's reading, if the local clock agrees within ``tolerance``.
    /// - Throws: ``BillingError/Code/clockDivergence``, or what the base clock throws.
    public func now() async throws -> Timestamp {
        let before = local()
        let reading = try await base.now()
        let after = local()
        // The reading was taken between `before` and `after`, by the local clock.
        if reading < before + (.zero - tolerance) || reading > after + tolerance {
            let offset = reading < before ? before.duration(to: reading) : after.duration(to: reading)
            throw BillingError(
                code: .clockDivergence,
                message:
                    "the billing clock reads \(reading), \(offset) away from this host's clock (\(after)), beyond the tolerance of \(tolerance); nothing is charged until they agree: check NTP on the database server and on this host"
            )
        }
        return reading
    }
}
