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
        /// How often one renewal is retried at once after `ChargeOutcome.rateLimited(retryAfter:)`
        /// before it is left pending for the next pass; default 5.
        public var maxRateLimitRetries: Int = 5
        /// How often one renewal is retried at once after `ChargeOutcome.retryable(message:)`
        /// before it is left open for a later pass (with ``openChargeBackoff``); default 2. The
        /// provider being unreachable never counts as a failed attempt.
        public var maxTransientRetries: Int = 2
        /// The first pause before such a retry (and after a 429 without Retry-After); doubles each
        /// time, up to ``maximumBackoff``. Default 500 ms.
        public var initialBackoff: Duration = .milliseconds(500)
        /// The longest pause between retries of one request; default 30 s.
        public var maximumBackoff: Duration = .seconds(30)
        /// When failed renewals are retried; default ``DunningSchedule/default`` (1, 3, 5, 7 days).
        public var dunning: DunningSchedule = .default
        /// How long an open charge whose provider could not be asked (unreachable, answer lost) waits
        /// before the next round; doubles with each unanswered round in a row, up to
        /// ``maximumOpenChargeBackoff``. Measured on the billing clock. Default 5 s.
        public var openChargeBackoff: Duration = .seconds(5)
        /// The longest wait between rounds of one open charge; default 15 minutes.
        public var maximumOpenChargeBackoff: Duration = .seconds(15 * 60)
        /// How much earlier than the provider's key retention (`PaymentProvider.idempotencyKeyRetention`)
        /// the engine stops replaying a key and looks the charge up instead; default 1 hour (so
        /// 23 hours at Stripe). Covers clock differences and the time a replay spends in flight.
        public var keyReplaySafetyMargin: Duration = .seconds(3600)
        /// How long a charge the provider settles later (processing, or waiting for its customer to
        /// authenticate) waits for a webhook before the engine looks it up at the provider, and
        /// between lookups; measured on the billing clock. Default 1 hour.
        public var settlementLookupInterval: Duration = .seconds(3600)
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
            guard maxConcurrentRenewals >= 1 else {
                throw invalid("maxConcurrentRenewals must be at least 1, not \(maxConcurrentRenewals)")
            }
            if let rate = providerRequestsPerSecond, rate < 1 {
                throw invalid("providerRequestsPerSecond must be at least 1 (or nil for unlimited), not \(rate)")
            }
            guard providerBurst >= 1 else { throw invalid("providerBurst must be at least 1, not \(providerBurst)") }
            guard maxRateLimitRetries >= 0, maxTransientRetries >= 0 else { throw invalid("retry counts must not be negative") }
            guard initialBackoff > .zero, maximumBackoff >= initialBackoff else {
                throw invalid("initialBackoff must be positive and at most maximumBackoff (\(initialBackoff), \(maximumBackoff))")
            }
            guard openChargeBackoff > .zero, maximumOpenChargeBackoff >= openChargeBackoff else {
                throw invalid(
                    "openChargeBackoff must be positive and at most maximumOpenChargeBackoff (\(openChargeBackoff), \(maximumOpenChargeBackoff))"
                )
            }
            guard keyReplaySafetyMargin >= .zero else {
                throw invalid("keyReplaySafetyMargin must not be negative, not \(keyReplaySafetyMargin)")
            }
            guard settlementLookupInterval > .zero else {
                throw invalid("settlementLookupInterval must be positive, not \(settlementLookupInterval)")
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

        /// The wait before the next round of an open charge after `failures` unanswered rounds in a row.
        func openChargeBackoff(failures: Int) -> Duration {
            var pause = openChargeBackoff
            for _ in 1..<max(failures, 1) where pause < maximumOpenChargeBackoff {
                pause = pause * 2
            }
            return min(pause, maximumOpenChargeBackoff)
        }
    }
}
