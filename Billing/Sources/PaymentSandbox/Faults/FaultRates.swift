/// Faults drawn at random for requests that carry no `Sandbox-Fault` header.
///
/// Each provider API request (Stripe and PayPal, token requests included; not the `/sandbox`
/// admin endpoints) draws one action with the given probabilities, from a generator seeded by
/// ``seed`` so a run can be replayed; the latency (plus a uniform jitter) applies to every such
/// request. As JSON (the admin endpoint `PUT /sandbox/faults`), durations are in milliseconds:
///
/// ```json
/// {"latency_ms": 50, "latency_jitter_ms": 10, "server_error_rate": 0.02, "lost_rate": 0.02,
///  "hang_rate": 0.01, "rate_limit_rate": 0.02, "garbage_rate": 0, "late_rate": 0, "retry_after_ms": 1000, "hang_ms": 2000,
///  "late_ms": 10000, "seed": 7}
/// ```
///
/// Missing fields are zero (seed: 1; `hang_ms`: 30000; `late_ms`: 40000; `retry_after_ms`: 1000).
public struct FaultRates: Sendable, Hashable, Codable {
    /// Added to every provider API request.
    public var latency: Duration
    /// A uniformly random extra delay in `0..<latencyJitter`.
    public var latencyJitter: Duration
    /// The probability of ``FaultAction/serverError``.
    public var serverErrorRate: Double
    /// The probability of ``FaultAction/lost``.
    public var lostRate: Double
    /// The probability of ``FaultAction/hang(_:)``.
    public var hangRate: Double
    /// The probability of ``FaultAction/rateLimited(retryAfter:)``.
    public var rateLimitRate: Double
    /// The probability of ``FaultAction/garbage``.
    public var garbageRate: Double
    /// The probability of ``FaultAction/late(_:)``.
    public var lateRate: Double
    /// The `Retry-After` of a 429 that does not give its own. Default 1 s.
    public var retryAfter: Duration
    /// How long a hang that does not give its own lasts. Default 30 s.
    public var hangDuration: Duration
    /// How long a late request is held before it is applied, when it does not say. Default 40 s
    /// (past the 30 s a Stripe client waits by default).
    public var lateDuration: Duration
    /// The seed of the generator that draws the faults. Setting the rates restarts it.
    public var seed: UInt64

    /// Creates a set of rates; every argument defaults to no fault.
    public init(
        latency: Duration = .zero,
        latencyJitter: Duration = .zero,
        serverErrorRate: Double = 0,
        lostRate: Double = 0,
        hangRate: Double = 0,
        rateLimitRate: Double = 0,
        garbageRate: Double = 0,
        lateRate: Double = 0,
        retryAfter: Duration = .seconds(1),
        hangDuration: Duration = .seconds(30),
        lateDuration: Duration = .seconds(40),
        seed: UInt64 = 1
    ) {
        self.latency = latency
        self.latencyJitter = latencyJitter
        self.serverErrorRate = serverErrorRate
        self.lostRate = lostRate
        self.hangRate = hangRate
        self.rateLimitRate = rateLimitRate
        self.garbageRate = garbageRate
        self.lateRate = lateRate
        self.retryAfter = retryAfter
        self.hangDuration = hangDuration
        self.lateDuration = lateDuration
        self.seed = seed
    }

    /// No faults at all.
    public static let none = FaultRates()

    /// Throws ``PaymentSandboxError`` (``PaymentSandboxError/Code/invalidConfiguration``) when a
    /// rate is outside 0...1, the rates add up past 1, or a duration is negative.
    public func validate() throws {
        let rates = [serverErrorRate, lostRate, hangRate, rateLimitRate, garbageRate, lateRate]
        guard rates.allSatisfy({ $0.isFinite && $0 >= 0 && $0 <= 1 }), rates.reduce(0, +) <= 1 + 1e-9 else {
            throw PaymentSandboxError(
                code: .invalidConfiguration,
                message: "fault rates must each lie in 0...1 and add up to at most 1, not \(rates)"
            )
        }
        guard latency >= .zero, latencyJitter >= .zero, retryAfter >= .zero, hangDuration >= .zero, lateDuration >= .zero else {
            throw PaymentSandboxError(code: .invalidConfiguration, message: "fault durations must not be negative")
        }
    }

    /// Draws the plan of one request: `unit` is uniform in 0..<1 for the action, `jitterUnit` for the jitter.
    func plan(unit: Double, jitterUnit: Double) -> FaultPlan {
        var plan = FaultPlan.none
        let delay = latency + latencyJitter * jitterUnit
        if delay > .zero { plan.latency = delay }
        var threshold = serverErrorRate
        if unit < threshold { plan.action = .serverError; return plan }
        threshold += lostRate
        if unit < threshold { plan.action = .lost; return plan }
        threshold += hangRate
        if unit < threshold { plan.action = .hang(nil); return plan }
        threshold += rateLimitRate
        if unit < threshold { plan.action = .rateLimited(retryAfter: nil); return plan }
        threshold += garbageRate
        if unit < threshold { plan.action = .garbage; return plan }
        threshold += lateRate
        if unit < threshold { plan.action = .late(nil) }
        return plan
    }

    enum CodingKeys: String, CodingKey {
        case latency = "latency_ms"
        case latencyJitter = "latency_jitter_ms"
        case serverErrorRate = "server_error_rate"
        case lostRate = "lost_rate"
        case hangRate = "hang_rate"
        case rateLimitRate = "rate_limit_rate"
        case garbageRate = "garbage_rate"
        case lateRate = "late_rate"
        case retryAfter = "retry_after_ms"
        case hangDuration = "hang_ms"
        case lateDuration = "late_ms"
        case seed
    }

    /// Decodes the JSON form; missing fields take their defaults.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        func milliseconds(_ key: CodingKeys, _ fallback: Duration) throws -> Duration {
            try container.decodeIfPresent(Double.self, forKey: key).map { .milliseconds(Int64($0.rounded())) } ?? fallback
        }
        self.init(
            latency: try milliseconds(.latency, .zero),
            latencyJitter: try milliseconds(.latencyJitter, .zero),
            serverErrorRate: try container.decodeIfPresent(Double.self, forKey: .serverErrorRate) ?? 0,
            lostRate: try container.decodeIfPresent(Double.self, forKey: .lostRate) ?? 0,
            hangRate: try container.decodeIfPresent(Double.self, forKey: .hangRate) ?? 0,
            rateLimitRate: try container.decodeIfPresent(Double.self, forKey: .rateLimitRate) ?? 0,
            garbageRate: try container.decodeIfPresent(Double.self, forKey: .garbageRate) ?? 0,
            lateRate: try container.decodeIfPresent(Double.self, forKey: .lateRate) ?? 0,
            retryAfter: try milliseconds(.retryAfter, .seconds(1)),
            hangDuration: try milliseconds(.hangDuration, .seconds(30)),
            lateDuration: try milliseconds(.lateDuration, .seconds(40)),
            seed: try container.decodeIfPresent(UInt64.self, forKey: .seed) ?? 1
        )
    }

    /// Encodes the JSON form.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(latency.milliseconds, forKey: .latency)
        try container.encode(latencyJitter.milliseconds, forKey: .latencyJitter)
        try container.encode(serverErrorRate, forKey: .serverErrorRate)
        try container.encode(lostRate, forKey: .lostRate)
        try container.encode(hangRate, forKey: .hangRate)
        try container.encode(rateLimitRate, forKey: .rateLimitRate)
        try container.encode(garbageRate, forKey: .garbageRate)
        try container.encode(lateRate, forKey: .lateRate)
        try container.encode(retryAfter.milliseconds, forKey: .retryAfter)
        try container.encode(hangDuration.milliseconds, forKey: .hangDuration)
        try container.encode(lateDuration.milliseconds, forKey: .lateDuration)
        try container.encode(seed, forKey: .seed)
    }
}

extension Duration {
    /// The duration in (fractional) milliseconds.
    var milliseconds: Double {
        Double(components.seconds) * 1000 + Double(components.attoseconds) / 1e15
    }

    /// The duration in (fractional) seconds.
    var seconds: Double {
        Double(components.seconds) + Double(components.attoseconds) / 1e18
    }
}
