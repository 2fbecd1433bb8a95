/// The create-order body the sandbox reads (the rest of PayPal's schema is ignored).
struct PayPalOrderRequest: Decodable, Sendable {
    struct Amount: Decodable, Sendable {
        var currencyCode: String
        var value: String
        enum CodingKeys: String, CodingKey {
            case currencyCode = "currency_code"
            case value
        }
    }

    struct PurchaseUnit: Decodable, Sendable {
        var referenceID: String?
        var invoiceID: String?
        var customID: String?
        var description: String?
        var amount: Amount
        enum CodingKeys: String, CodingKey {
            case referenceID = "reference_id"
            case invoiceID = "invoice_id"
            case customID = "custom_id"
            case description, amount
        }
    }

    struct Vault: Decodable, Sendable {
        var vaultID: String?
        enum CodingKeys: String, CodingKey {
            case vaultID = "vault_id"
        }
    }

    var intent: String
    var purchaseUnits: [PurchaseUnit]
    var paymentSource: [String: Vault]?

    enum CodingKeys: String, CodingKey {
        case intent
        case purchaseUnits = "purchase_units"
        case paymentSource = "payment_source"
    }

    /// `"19.99"` in a two-decimal currency → 1999; `"500"` in JPY → 500; `nil` when malformed.
    static func minorUnits(_ value: String, currency: String) -> Int64? {
        let decimals = ["HUF", "JPY", "TWD"].contains(currency.uppercased()) ? 0 : 2
        let parts = value.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count <= 2, let whole = Int64(parts[0]), whole >= 0 else { return nil }
        let fraction = parts.count == 2 ? String(parts[1]) : ""
        guard fraction.count <= decimals, fraction.allSatisfy(\.isASCII), fraction.allSatisfy(\.isNumber) else { return nil }
        let padded = fraction + String(repeating: "0", count: decimals - fraction.count)
        var scale: Int64 = 1
        for _ in 0..<decimals { scale *= 10 }
        return whole * scale + (Int64(padded) ?? 0)
    }
}
