import Foundation

/// The faults injected into one request: an optional delay and an optional action.
///
/// Written in the `Sandbox-Fault` request header as a comma- or `|`-separated list:
///
/// | item | meaning |
/// |---|---|
/// | `latency=50ms` (`ms`, `s`, or a bare number of ms) | wait before answering; a key stays in flight meanwhile |
/// | `500` | ``FaultAction/serverError`` |
/// | `lost` | ``FaultAction/lost`` |
/// | `hang` or `hang=2s` | ``FaultAction/hang(_:)`` |
/// | `429` or `429=3s` | ``FaultAction/rateLimited(retryAfter:)`` |
/// | `garbage` | ``FaultAction/garbage`` |
/// | `late` or `late=10s` | ``FaultAction/late(_:)`` |
/// | `none` | no fault, and no fault drawn from the configured rates |
///
/// For example `Sandbox-Fault: latency=200ms, lost`. At most one action per request.
public struct FaultPlan: Sendable, Hashable, CustomStringConvertible {
    /// The delay before answering, if any.
    public var latency: Duration?
    /// The action, if any.
    public var action: FaultAction?

    /// Creates a plan.
    public init(latency: Duration? = nil, action: FaultAction? = nil) {
        self.latency = latency
        self.action = action
    }

    /// No fault.
    public static let none = FaultPlan()

    /// Parses the header syntax above. Throws ``PaymentSandboxError`` with
    /// ``PaymentSandboxError/Code/invalidFaultSpecification`` naming the item it could not read.
    public init(parsing text: String) throws {
        self.init()
        let items = text.split(whereSeparator: { $0 == "," || $0 == "|" })
            .map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
            .filter { !$0.isEmpty }
        for item in items {
            let parts = item.split(separator: "=", maxSplits: 1).map(String.init)
            let name = parts[0]
            let argument = parts.count > 1 ? parts[1] : nil
            func duration() throws -> Duration? {
                guard let argument else { return nil }
                guard let value = FaultPlan.parseDuration(argument) else {
                    throw PaymentSandboxError(
                        code: .invalidFaultSpecification,
                        message: "Sandbox-Fault item \"\(item)\": \"\(argument)\" is not a duration such as 50ms or 2s"
                    )
                }
                return value
            }
            let action: FaultAction?
            switch name {
            case "latency", "delay":
                guard let value = try duration() else {
                    throw PaymentSandboxError(
                        code: .invalidFaultSpecification, message: "Sandbox-Fault item \"\(item)\" needs a duration: latency=50ms")
                }
                latency = value
                action = nil
            case "500", "error", "server-error": action = .serverError
            case "lost", "drop": action = .lost
            case "hang": action = .hang(try duration())
            case "429", "rate-limit", "ratelimit": action = .rateLimited(retryAfter: try duration())
            case "garbage": action = .garbage
            case "late": action = .late(try duration())
            case "none", "0": action = nil
            default:
                throw PaymentSandboxError(
                    code: .invalidFaultSpecification,
                    message:
                        "Sandbox-Fault item \"\(item)\" is unknown: use latency=<ms>, 500, lost, hang[=<duration>], 429[=<duration>], garbage, late[=<duration>] or none"
                )
            }
            if let action {
                if let existing = self.action {
                    throw PaymentSandboxError(
                        code: .invalidFaultSpecification,
                        message: "Sandbox-Fault asks for both \(existing) and \(action): give at most one of 500, lost, hang, 429, garbage"
                    )
                }
                self.action = action
            }
        }
    }

    /// `50ms`, `2s`, `1.5s`, `250` (milliseconds).
    static func parseDuration(_ text: String) -> Duration? {
        let text = text.trimmingCharacters(in: .whitespaces).lowercased()
        let (number, scale): (Substring, Double) =
            if text.hasSuffix("ms") { (text.dropLast(2), 1) } else if text.hasSuffix("s") { (text.dropLast(1), 1000) } else {
                (Substring(text), 1)
            }
        guard let value = Double(number), value.isFinite, value >= 0 else { return nil }
        return .milliseconds(Int64((value * scale).rounded()))
    }

    /// The plan in the header syntax (`latency=50ms,lost`), or `none`.
    public var description: String {
        var parts: [String] = []
        if let latency { parts.append("latency=\(latency)") }
        if let action { parts.append(action.description) }
        return parts.isEmpty ? "none" : parts.joined(separator: ",")
    }
}
