import Foundation

/// A PayPal capture as Transaction Search (`GET /v1/reporting/transactions`) lists it.
struct PayPalTransaction: Sendable {
    /// The capture id, which is the transaction id.
    var id: String
    /// The order the capture belongs to (`paypal_reference_id`).
    var orderID: String
    /// The purchase unit's `invoice_id`, if it had one.
    var invoiceID: String?
    /// The purchase unit's `custom_id` (`custom_field` in the listing).
    var customID: String?
    /// The currency, upper case.
    var currency: String
    /// The amount as the order gave it (`"19.99"`).
    var value: String
    /// `S` (completed) or `D` (denied: the capture was declined).
    var status: String
    /// When the capture was made, on the wall clock (not the sandbox clock: searches are by date).
    var time: Date

    /// Whether it moved money, which is what `balance_affecting_records_only=Y` lists.
    var affectsBalance: Bool { status != "D" }

    /// The `transaction_details` item, in PayPal's shape (the fields the project reads, and a few more).
    var json: JSONValue {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        let stamp = formatter.string(from: time)
        var info: [(String, JSONValue)] = [
            ("paypal_account_id", "SANDBOXPAYER01"),
            ("transaction_id", .string(id)),
            ("paypal_reference_id", .string(orderID)),
            ("paypal_reference_id_type", "ODR"),
            ("transaction_event_code", "T0006"),
            ("transaction_initiation_date", .string(stamp)),
            ("transaction_updated_date", .string(stamp)),
            ("transaction_amount", .object([("currency_code", .string(currency)), ("value", .string(value))])),
            ("transaction_status", .string(status)),
        ]
        if let invoiceID { info.append(("invoice_id", .string(invoiceID))) }
        if let customID { info.append(("custom_field", .string(customID))) }
        info.append(("protection_eligibility", "02"))
        return .object([("transaction_info", .object(info))])
    }
}
