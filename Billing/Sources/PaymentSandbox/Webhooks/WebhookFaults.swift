/// What the sandbox does wrong when it delivers webhooks, as a provider does in real life: each
/// rate is the probability (0...1) that one event suffers it, drawn independently.
public struct WebhookFaults: Sendable, Hashable, Codable {
    /// The event is never delivered (as when every retry of it failed).
    public var drop: Double
    /// The event is delivered twice, each delivery signed anew (a provider's retry after a lost acknowledgement).
    public var duplicate: Double
    /// The event is held back and delivered after the next one.
    public var reorder: Double
    /// The event is delivered ``delaySeconds`` late (others pass it).
    public var delay: Double
    /// How late a delayed event arrives; default 2 s.
    public var delaySeconds: Double

    /// No faults.
    public static let none = WebhookFaults()

    /// Creates fault rates; each defaults to 0.
    public init(drop: Double = 0, duplicate: Double = 0, reorder: Double = 0, delay: Double = 0, delaySeconds: Double = 2) {
        self.drop = drop
        self.duplicate = duplicate
        self.reorder = reorder
        self.delay = delay
        self.delaySeconds = delaySeconds
    }

    enum CodingKeys: String, CodingKey {
        case drop, duplicate, reorder, delay
        case delaySeconds = "delay_seconds"
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        func rate(_ key: CodingKeys) throws -> Double { try container.decodeIfPresent(Double.self, forKey: key) ?? 0 }
        self.init(
            drop: try rate(.drop), duplicate: try rate(.duplicate), reorder: try rate(.reorder), delay: try rate(.delay),
            delaySeconds: try container.decodeIfPresent(Double.self, forKey: .delaySeconds) ?? 2)
    }

    /// Checks every rate is in 0...1 and the delay is not negative.
    public func validate() throws(PaymentSandboxError) {
        for (name, rate) in [("drop", drop), ("duplicate", duplicate), ("reorder", reorder), ("delay", delay)] where !(0...1).contains(rate)
        {
            throw PaymentSandboxError(code: .invalidConfiguration, message: "webhook fault rate \(name) must be in 0...1, not \(rate)")
        }
        guard delaySeconds >= 0, delaySeconds <= 3600 else {
            throw PaymentSandboxError(
                code: .invalidConfiguration, message: "webhook delay_seconds must be in 0...3600, not \(delaySeconds)")
        }
    }
}
