/// How often a plan renews.
public enum BillingInterval: String, Hashable, Sendable, CaseIterable, CustomStringConvertible {
    /// Every calendar month, on the anchor's day (clamped to short months).
    case monthly
    /// Every calendar year, on the anchor's month and day (February 29 clamped to February 28).
    case annual

    /// The interval in calendar months.
    public var months: Int64 {
        switch self {
        case .monthly: 1
        case .annual: 12
        }
    }

    /// Reads a stored interval name (`monthly`, `annual`).
    /// - Throws: ``BillingError/Code/invalidSubscription`` for any other name.
    public init(name: String) throws(BillingError) {
        guard let interval = BillingInterval(rawValue: name) else {
            throw BillingError(
                code: .invalidSubscription,
                message: "unknown billing interval '\(name)'; expected one of \(Self.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        self = interval
    }

    public var description: String { rawValue }
}
