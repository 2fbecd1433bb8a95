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
}
