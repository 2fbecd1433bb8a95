import Billing
import Testing

struct MoneyTests {
    struct ParseCase: CustomTestStringConvertible, Sendable {
        var text: String
        var currency: Currency
        var minor: Int64?
        var testDescription: String { "\(text) \(currency)" }
    }

    static let parseCases: [ParseCase] = [
        ParseCase(text: "12.34", currency: .usd, minor: 1234),
        ParseCase(text: "12.3", currency: .usd, minor: 1230),
        ParseCase(text: "12", currency: .usd, minor: 1200),
        ParseCase(text: "-0.05", currency: .usd, minor: -5),
        ParseCase(text: "+7.00", currency: .eur, minor: 700),
        ParseCase(text: "1000", currency: .jpy, minor: 1000),
        ParseCase(text: "1.5", currency: .jpy, minor: nil),
        ParseCase(text: "1.250", currency: .kwd, minor: 1250),
        ParseCase(text: "0.001", currency: .bhd, minor: 1),
        ParseCase(text: "12.345", currency: .usd, minor: nil),
        ParseCase(text: "1,000.00", currency: .usd, minor: nil),
        ParseCase(text: "1e3", currency: .usd, minor: nil),
        ParseCase(text: "", currency: .usd, minor: nil),
        ParseCase(text: ".5", currency: .usd, minor: nil),
        ParseCase(text: "5.", currency: .usd, minor: nil),
        ParseCase(text: " 5", currency: .usd, minor: nil),
        ParseCase(text: "92233720368547758.07", currency: .usd, minor: .max),
        ParseCase(text: "-92233720368547758.08", currency: .usd, minor: .min),
        ParseCase(text: "92233720368547758.08", currency: .usd, minor: nil),
    ]

    @Test(arguments: parseCases)
    func parsing(_ testCase: ParseCase) throws {
        let parsed = try? Money(parsing: testCase.text, currency: testCase.currency)
        #expect(parsed?.minorUnits == testCase.minor)
        if let parsed {
            // Formatting and parsing round-trip exactly.
            #expect(try Money(parsing: parsed.decimalString, currency: testCase.currency) == parsed)
        }
    }

    @Test(arguments: [
        (Int64(1234), Currency.usd, "12.34 USD"),
        (5, .usd, "0.05 USD"),
        (-5, .usd, "-0.05 USD"),
        (0, .usd, "0.00 USD"),
        (1000, .jpy, "1000 JPY"),
        (1250, .kwd, "1.250 KWD"),
        (.min, .usd, "-92233720368547758.08 USD"),
    ])
    func formatting(minor: Int64, currency: Currency, text: String) {
        #expect(Money(minorUnits: minor, currency: currency).description == text)
    }

    @Test func arithmeticIsExactAndChecksCurrencyAndOverflow() throws {
        let a = Money(minorUnits: 1999, currency: .usd)
        #expect(try a.adding(Money(minorUnits: 1, currency: .usd)).minorUnits == 2000)
        #expect(try a.subtracting(Money(minorUnits: 2000, currency: .usd)).minorUnits == -1)
        #expect(try a.multiplied(by: 3).minorUnits == 5997)
        #expect((a + a).minorUnits == 3998)
        #expect((a * 2 - a) == a)
        #expect(throws: BillingError.self) { try a.adding(Money(minorUnits: 1, currency: .eur)) }
        #expect(throws: BillingError.self) { try Money(minorUnits: .max, currency: .usd).adding(Money(minorUnits: 1, currency: .usd)) }
        #expect(throws: BillingError.self) { try Money(minorUnits: .min, currency: .usd).subtracting(Money(minorUnits: 1, currency: .usd)) }
        #expect(throws: BillingError.self) { try Money(minorUnits: .max / 2 + 1, currency: .usd).multiplied(by: 2) }
        #expect(throws: BillingError.self) { try Money(minorUnits: .min, currency: .usd).negated() }
        #expect(try a.isLess(than: Money(minorUnits: 2000, currency: .usd)))
    }

    @Test func currencies() throws {
        #expect(try Currency(code: "usd") == .usd)
        #expect(try Currency(code: "JPY").minorUnitExponent == 0)
        #expect(Currency.kwd.minorUnitsPerMajorUnit == 1000)
        let error = #expect(throws: BillingError.self) { try Currency(code: "XYZ") }
        #expect(error?.code == .unsupportedCurrency)
    }

    @Test func planPriceMustBePositive() {
        #expect(throws: BillingError.self) { try Plan(interval: .monthly, price: Money(minorUnits: 0, currency: .usd)) }
        #expect(throws: BillingError.self) { try Plan(interval: .monthly, price: Money(minorUnits: -100, currency: .usd)) }
    }
}
