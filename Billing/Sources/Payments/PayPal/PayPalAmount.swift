/// Converts minor units to the decimal strings PayPal's `amount.value` takes.
enum PayPalAmount {
    /// Currencies PayPal handles without decimals.
    static let zeroDecimalCurrencies: Set<String> = ["HUF", "JPY", "TWD"]

    /// `1999 USD` → `"19.99"`, `500 JPY` → `"500"`. The amount must not be negative.
    static func value(minorUnits: Int64, currency: String) -> String {
        if zeroDecimalCurrencies.contains(currency.uppercased()) { return String(minorUnits) }
        let cents = minorUnits % 100
        return "\(minorUnits / 100).\(cents < 10 ? "0" : "")\(cents)"
    }

    /// `"19.99"` in USD → 1999, `"500"` in JPY → 500; `nil` when the text is not a decimal of
    /// the currency's precision. A leading `-` (a refund's amount) gives a negative value.
    static func minorUnits(_ value: String, currency: String) -> Int64? {
        let negative = value.hasPrefix("-")
        let digits = negative ? String(value.dropFirst()) : value
        let decimals = zeroDecimalCurrencies.contains(currency.uppercased()) ? 0 : 2
        let parts = digits.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count <= 2, !parts[0].isEmpty, parts[0].allSatisfy({ $0.isASCII && $0.isNumber }), let whole = Int64(parts[0]) else {
            return nil
        }
        let fraction = parts.count == 2 ? String(parts[1]) : ""
        guard fraction.count <= decimals, fraction.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
        let padded = fraction + String(repeating: "0", count: decimals - fraction.count)
        let scale: Int64 = decimals == 0 ? 1 : 100
        let (scaled, overflow) = whole.multipliedReportingOverflow(by: scale)
        guard !overflow, let cents = padded.isEmpty ? 0 : Int64(padded) else { return nil }
        return (negative ? -1 : 1) * (scaled + cents)
    }
}
