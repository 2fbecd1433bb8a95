extension Election {
    /// Timing of leases, renewals and retries. `init` validates the relations between the values.
    public struct Configuration: Sendable, Hashable {
        /// How long the store keeps a lease after the last renewal it processed. Default: 5 s.
        public var leaseTTL: Duration
        /// How often the leader renews its lease. Default: `leaseTTL / 3`.
        public var renewInterval: Duration
        /// Subtracted from the lease TTL to get the local deadline, to cover clock-rate drift
        /// between this process and the store and the store's processing delay.
        /// Default: `leaseTTL / 10` (500 ms for the default TTL).
        public var safetyMargin: Duration
        /// Delays between retries of a failed store call. Default: ``RetryBackoff/init(initial:maximum:multiplier:)``.
        public var retryBackoff: RetryBackoff

        /// Creates a configuration; omitted values take the documented defaults.
        /// - Throws: ``ElectionError/Code/invalidConfiguration`` when a value is out of range.
        public init(
            leaseTTL: Duration = .seconds(5),
            renewInterval: Duration? = nil,
            safetyMargin: Duration? = nil,
            retryBackoff: RetryBackoff = RetryBackoff()
        ) throws {
            self.leaseTTL = leaseTTL
            self.renewInterval = renewInterval ?? leaseTTL / 3
            self.safetyMargin = safetyMargin ?? leaseTTL / 10
            self.retryBackoff = retryBackoff
            try validate()
        }

        /// The defaults: TTL 5 s, renewals every 1.67 s, safety margin 500 ms.
        public static var `default`: Configuration {
            // The defaults satisfy `validate()`; the force-try cannot fail.
            try! Configuration()
        }

        /// How long after a renewal was sent this process may still act as leader.
        public var leadershipWindow: Duration { leaseTTL - safetyMargin }

        /// Checks the relations between the values.
        public func validate() throws {
            guard leaseTTL >= .milliseconds(10) else {
                throw ElectionError.invalidConfiguration("leaseTTL is \(leaseTTL); it must be at least 10 ms (5 s is the default)")
            }
            guard safetyMargin >= .zero, safetyMargin < leaseTTL else {
                throw ElectionError.invalidConfiguration(
                    "safetyMargin is \(safetyMargin); it must be at least 0 and below leaseTTL (\(leaseTTL)); the default is leaseTTL / 10")
            }
            guard renewInterval > .zero else {
                throw ElectionError.invalidConfiguration(
                    "renewInterval is \(renewInterval); it must be positive (the default is leaseTTL / 3)")
            }
            guard renewInterval * 2 <= leadershipWindow else {
                throw ElectionError.invalidConfiguration(
                    "renewInterval (\(renewInterval)) leaves no room for a failed renewal: two renewals must fit in leaseTTL - safetyMargin (\(leadershipWindow)); lower renewInterval or raise leaseTTL"
                )
            }
            try retryBackoff.validate()
        }
    }
}

/// Exponential backoff between retries of a failed store call (no jitter, so runs replay exactly).
public struct RetryBackoff: Sendable, Hashable {
    /// The first delay. Default: 50 ms.
    public var initial: Duration
    /// The largest delay. Default: 1 s.
    public var maximum: Duration
    /// The factor between consecutive delays. Default: 2.
    public var multiplier: Int

    /// Creates a backoff; defaults 50 ms, doubling, at most 1 s.
    public init(initial: Duration = .milliseconds(50), maximum: Duration = .seconds(1), multiplier: Int = 2) {
        self.initial = initial
        self.maximum = maximum
        self.multiplier = multiplier
    }

    /// The delay before retry number `attempt` (1 for the first retry).
    public func delay(attempt: Int) -> Duration {
        var delay = initial
        var step = 1
        while step < attempt, delay < maximum {
            delay = delay * multiplier
            step += 1
        }
        return min(delay, maximum)
    }

    func validate() throws {
        guard initial > .zero, maximum >= initial, multiplier >= 1 else {
            throw ElectionError.invalidConfiguration(
                "retryBackoff (initial \(initial), maximum \(maximum), multiplier \(multiplier)) is invalid: initial must be positive, maximum at least initial, multiplier at least 1"
            )
        }
    }
}
