extension Money {
    /// Parses a decimal amount in major units, such as `12.34`, `-0.5` or `1000` (USD), exactly.
    ///
    /// Accepts an optional sign, digits, and at most ``Currency/minorUnitExponent`` digits after a
    /// `.`; missing fraction digits are zeros (`12.3` USD is 1230 cents). Rejects anything that
    /// would need rounding, grouping separators, exponents and surrounding spaces.
    /// - Throws: ``BillingError/Code/invalidAmount`` or ``BillingError/Code/arithmeticOverflow``.
    public init(parsing text: String, currency: Currency) throws(BillingError) {
        func invalid(_ why: String) -> BillingError {
            BillingError(code: .invalidAmount, message: "'\(text)' is not an amount of \(currency.code): \(why)")
        }
        var digits = Substring(text)
        var negative = false
        if let sign = digits.first, sign == "-" || sign == "+" {
            negative = sign == "-"
            digits = digits.dropFirst()
        }
        let parts = digits.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        let whole = parts[0]
        let fraction = parts.count > 1 ? parts[1] : ""
        guard !whole.isEmpty else { throw invalid("expected digits before the decimal point") }
        if parts.count > 1, fraction.isEmpty { throw invalid("expected digits after the decimal point") }
        guard (whole + fraction).allSatisfy({ $0.isASCII && $0.isNumber }) else {
            throw invalid("only digits, one '.' and a leading sign are allowed")
        }
        guard fraction.count <= currency.minorUnitExponent else {
            throw invalid("\(currency.code) has \(currency.minorUnitExponent) decimal places, this has \(fraction.count)")
        }
        let paddedFraction = fraction + String(repeating: "0", count: currency.minorUnitExponent - fraction.count)
        var value: Int64 = 0
        for character in whole + paddedFraction {
            let digit = Int64(character.asciiValue! - UInt8(ascii: "0"))
            let (shifted, overflow1) = value.multipliedReportingOverflow(by: 10)
            // Accumulate negatively so that Int64.min parses.
            let (next, overflow2) = negative ? shifted.subtractingReportingOverflow(digit) : shifted.addingReportingOverflow(digit)
            guard !overflow1, !overflow2 else {
                throw BillingError(code: .arithmeticOverflow, message: "'\(text)' \(currency.code) does not fit in 64-bit minor units")
            }
            value = next
        }
        self.init(minorUnits: value, currency: currency)
    }

    /// The amount in major units with exactly ``Currency/minorUnitExponent`` decimals: `12.34`,
    /// `-0.05`, `1000` (JPY), `1.250` (KWD).
    public var decimalString: String {
        let exponent = currency.minorUnitExponent
        // The magnitude as digits, built without negating Int64.min.
        let magnitude = minorUnits.magnitude
        var digits = String(magnitude)
        if exponent > 0 {
            if digits.count <= exponent {
                digits = String(repeating: "0", count: exponent - digits.count + 1) + digits
            }
            digits.insert(".", at: digits.index(digits.endIndex, offsetBy: -exponent))
        }
        return minorUnits < 0 ? "-" + digits : digits
    }
}
