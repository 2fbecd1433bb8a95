/// An ISO 4217 currency this library can bill in, with the exponent of its minor unit.
///
/// Only the currencies in ``supported`` exist: an amount is always interpretable. Not guaranteed:
/// that a payment provider accepts every supported currency for every account.
public struct Currency: Hashable, Sendable, CustomStringConvertible {
    /// The uppercase ISO 4217 code (`USD`).
    public let code: String
    /// How many decimal digits the minor unit has: 2 for USD (cents), 0 for JPY, 3 for KWD.
    public let minorUnitExponent: Int

    private init(code: String, minorUnitExponent: Int) {
        self.code = code
        self.minorUnitExponent = minorUnitExponent
    }

    /// US dollar (2 decimals).
    public static let usd = Currency(code: "USD", minorUnitExponent: 2)
    /// Euro (2 decimals).
    public static let eur = Currency(code: "EUR", minorUnitExponent: 2)
    /// Pound sterling (2 decimals).
    public static let gbp = Currency(code: "GBP", minorUnitExponent: 2)
    /// Swiss franc (2 decimals).
    public static let chf = Currency(code: "CHF", minorUnitExponent: 2)
    /// Canadian dollar (2 decimals).
    public static let cad = Currency(code: "CAD", minorUnitExponent: 2)
    /// Australian dollar (2 decimals).
    public static let aud = Currency(code: "AUD", minorUnitExponent: 2)
    /// Swedish krona (2 decimals).
    public static let sek = Currency(code: "SEK", minorUnitExponent: 2)
    /// Norwegian krone (2 decimals).
    public static let nok = Currency(code: "NOK", minorUnitExponent: 2)
    /// Danish krone (2 decimals).
    public static let dkk = Currency(code: "DKK", minorUnitExponent: 2)
    /// Polish złoty (2 decimals).
    public static let pln = Currency(code: "PLN", minorUnitExponent: 2)
    /// Japanese yen (no minor unit).
    public static let jpy = Currency(code: "JPY", minorUnitExponent: 0)
    /// South Korean won (no minor unit).
    public static let krw = Currency(code: "KRW", minorUnitExponent: 0)
    /// Bahraini dinar (3 decimals).
    public static let bhd = Currency(code: "BHD", minorUnitExponent: 3)
    /// Kuwaiti dinar (3 decimals).
    public static let kwd = Currency(code: "KWD", minorUnitExponent: 3)
    /// Jordanian dinar (3 decimals).
    public static let jod = Currency(code: "JOD", minorUnitExponent: 3)

    /// Every currency this library bills in.
    public static let supported: [Currency] = [.usd, .eur, .gbp, .chf, .cad, .aud, .sek, .nok, .dkk, .pln, .jpy, .krw, .bhd, .kwd, .jod]

    /// Looks up a supported currency by its ISO 4217 code (case-insensitive).
    /// - Throws: ``BillingError/Code/unsupportedCurrency`` for any other code.
    public init(code: String) throws(BillingError) {
        let upper = code.uppercased()
        guard let found = Self.supported.first(where: { $0.code == upper }) else {
            throw BillingError(
                code: .unsupportedCurrency,
                message: "currency '\(code)' is not supported; use one of \(Self.supported.map(\.code).joined(separator: ", "))"
            )
        }
        self = found
    }

    /// How many minor units make one major unit: 10 to the power ``minorUnitExponent``.
    public var minorUnitsPerMajorUnit: Int64 {
        var result: Int64 = 1
        for _ in 0..<minorUnitExponent { result *= 10 }
        return result
    }

    public var description: String { code }
}
