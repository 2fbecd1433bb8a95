extension RenewalEngine {
    /// How the engine paces itself. Every default is stated on its property.
    public struct Configuration: Hashable, Sendable {
        /// Due subscriptions (or unresolved charges) read per query; default 200.
        public var batchSize: Int = 200
        /// Renewals in flight at once; default 16.
        public var maxConcurrentRenewals: Int = 16
        /// Provider requests per second; default 20 (under Stripe's test-mode limit of 25). Nil: unlimited.
        public var providerRequestsPerSecond: Int? = 20
        /// Requests that may start at once after an idle spell; default 20.
        public var providerBurst: Int = 20
        /// How often one renewal is retried at once after ``Payments/ChargeOutcome/rateLimited(retryAfter:)``
        /// before it is left pending for the next pass; default 5.
        public var maxRateLimitRetries: Int = 5
        /// How often one renewal is retried at once after ``Payments/ChargeOutcome/retryable(message:)``
        /// before it counts as a failed attempt (dunning); default 2.
        public var maxTransientRetries: Int = 2
        /// The first pause before such a retry (and after a 429 without Retry-After); doubles each
        /// time, up to ``maximumBackoff``. Default 500 ms.
        public var initialBackoff: Duration = .milliseconds(500)
        /// The longest pause between retries of one request; default 30 s.
        public var maximumBackoff: Duration = .seconds(30)
        /// When failed renewals are retried; default ``DunningSchedule/default`` (1, 3, 5, 7 days).
        public var dunning: DunningSchedule = .default
        /// The pause between passes of ``RenewalEngine/run(fence:checkLeadership:)``; default 1 s.
        public var passInterval: Duration = .seconds(1)
        /// How long a pass of ``RenewalSession/runPass()`` waits for its slowest renewals before
        /// it returns and the next pass may start beside them; default 1 s. A hung provider
        /// request or store call then delays only its own subscription.
        public var stragglerGrace: Duration = .seconds(1)

        /// The defaults.
        public static let `default` = Configuration()

        /// Creates the default configuration; set properties to change it, then ``validate()``.
        public init() {}

        /// Checks that every value is in range.
        /// - Throws: ``BillingError/Code/invalidConfiguration`` naming the value.
        public func validate() throws(BillingError) {
            func invalid(_ what: String) -> BillingError {
                BillingError(code: .invalidConfiguration, message: "renewal engine configuration: \(what)")
            }
            guard batchSize >= 1 else { throw invalid("batchSize must be at least 1, not \(batchSize)") }
            guard maxConcurrentRenewals >= 1 else { throw invalid("maxConcurrentRenewals must be at least 1, not \(maxConcurrentRenewals)") }
            if let rate = providerRequestsPerSecond, rate < 1 {
                throw invalid("providerRequestsPerSecond must be at least 1 (or nil for unlimited), not \(rate)")
            }
            guard providerBurst >= 1 else { throw invalid("providerBurst must be at least 1, not \(providerBurst)") }
            guard maxRateLimitRetries >= 0, maxTransientRetries >= 0 else { throw invalid("retry counts must not be negative") }
            guard initialBackoff > .zero, maximumBackoff >= initialBackoff else {
                throw invalid("initialBackoff must be positive and at most maximumBackoff (\(initialBackoff), \(maximumBackoff))")
            }
            guard passInterval > .zero else { throw invalid("passInterval must be positive, not \(passInterval)") }
            guard stragglerGrace > .zero else { throw invalid("stragglerGrace must be positive, not \(stragglerGrace)") }
        }

        /// The pause before retry number `retry` (1-based) of one request.
        func backoff(retry: Int) -> Duration {
            var pause = initialBackoff
            for _ in 1..<max(retry, 1) {
                pause = min(pause * 2, maximumBackoff)
            }
            return min(pause, maximumBackoff)
        }
    }
}
