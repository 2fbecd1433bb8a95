/// An amount of money: a whole number of a currency's minor units (cents, yen, fils).
///
/// There is no floating point anywhere in this type: amounts are `Int64` minor units, parsing
/// and formatting work on decimal digits. Arithmetic either throws (the `adding`/`subtracting`/
/// `multiplied` methods) or traps (the operators) on overflow and on mixed currencies; it never
/// wraps or rounds. Not guaranteed: ordering across currencies (there is none).
public struct Money: Hashable, Sendable, CustomStringConvertible {
    /// The amount in minor units; negative for refunds and credits.
    public let minorUnits: Int64
    /// The currency.
    public let currency: Currency

    /// Creates an amount of `minorUnits` of `currency`.
    public init(minorUnits: Int64, currency: Currency) {
        self.minorUnits = minorUnits
        self.currency = currency
    }

    /// Zero in `currency`.
    public static func zero(_ currency: Currency) -> Money { Money(minorUnits: 0, currency: currency) }

    /// Whether the amount is below zero.
    public var isNegative: Bool { minorUnits < 0 }

    /// Whether the amount is above zero.
    public var isPositive: Bool { minorUnits > 0 }

    /// The sum.
    /// - Throws: ``BillingError/Code/currencyMismatch`` or ``BillingError/Code/arithmeticOverflow``.
    public func adding(_ other: Money) throws(BillingError) -> Money {
        try requireSameCurrency(other, "add")
        let (sum, overflow) = minorUnits.addingReportingOverflow(other.minorUnits)
        guard !overflow else { throw overflowError("\(self) + \(other)") }
        return Money(minorUnits: sum, currency: currency)
    }

    /// The difference.
    /// - Throws: ``BillingError/Code/currencyMismatch`` or ``BillingError/Code/arithmeticOverflow``.
    public func subtracting(_ other: Money) throws(BillingError) -> Money {
        try requireSameCurrency(other, "subtract")
        let (difference, overflow) = minorUnits.subtractingReportingOverflow(other.minorUnits)
        guard !overflow else { throw overflowError("\(self) - \(other)") }
        return Money(minorUnits: difference, currency: currency)
    }

    /// The amount times a whole number (for example a quantity of seats).
    /// - Throws: ``BillingError/Code/arithmeticOverflow``.
    public func multiplied(by factor: Int64) throws(BillingError) -> Money {
        let (product, overflow) = minorUnits.multipliedReportingOverflow(by: factor)
        guard !overflow else { throw overflowError("\(self) × \(factor)") }
        return Money(minorUnits: product, currency: currency)
    }

    /// The negated amount.
    /// - Throws: ``BillingError/Code/arithmeticOverflow`` for `Int64.min` minor units.
    public func negated() throws(BillingError) -> Money {
        guard minorUnits != .min else { throw overflowError("-(\(self))") }
        return Money(minorUnits: -minorUnits, currency: currency)
    }

    /// The sum; traps on overflow or mixed currencies (use ``adding(_:)`` to handle them).
    public static func + (lhs: Money, rhs: Money) -> Money {
        do { return try lhs.adding(rhs) } catch { preconditionFailure(error.message) }
    }

    /// The difference; traps on overflow or mixed currencies (use ``subtracting(_:)`` to handle them).
    public static func - (lhs: Money, rhs: Money) -> Money {
        do { return try lhs.subtracting(rhs) } catch { preconditionFailure(error.message) }
    }

    /// The product; traps on overflow (use ``multiplied(by:)`` to handle it).
    public static func * (lhs: Money, rhs: Int64) -> Money {
        do { return try lhs.multiplied(by: rhs) } catch { preconditionFailure(error.message) }
    }

    /// Whether `lhs` is less than `rhs`; throws for different currencies.
    public func isLess(than other: Money) throws(BillingError) -> Bool {
        try requireSameCurrency(other, "compare")
        return minorUnits < other.minorUnits
    }

    private func requireSameCurrency(_ other: Money, _ verb: String) throws(BillingError) {
        guard currency == other.currency else {
            throw BillingError(
                code: .currencyMismatch, message: "cannot \(verb) \(self) and \(other): different currencies; convert one first")
        }
    }

    private func overflowError(_ expression: String) -> BillingError {
        BillingError(code: .arithmeticOverflow, message: "\(expression) does not fit in 64-bit minor units")
    }

    /// `12.34 USD`, `-5 JPY`, `1.250 KWD`: the decimal amount and the code.
    public var description: String { "\(decimalString) \(currency.code)" }
}
