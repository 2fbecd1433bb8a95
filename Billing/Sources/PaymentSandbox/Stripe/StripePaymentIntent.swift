/// A PaymentIntent as the sandbox keeps and answers it.
struct StripePaymentIntent: Sendable {
    var id: String
    var amount: Int64
    var currency: String
    var customer: String?
    var paymentMethod: String?
    var status: String
    var created: Int64
    var latestCharge: String?
    var lastPaymentError: (code: String, declineCode: String?, message: String)?
    var metadata: [String: String]
    var offSession: Bool

    /// The JSON object, in Stripe's shape (the fields the project and Stripe's libraries read).
    var json: JSONValue {
        .object([
            ("id", .string(id)),
            ("object", "payment_intent"),
            ("amount", .int(amount)),
            ("amount_capturable", 0),
            ("amount_received", .int(status == "succeeded" ? amount : 0)),
            ("capture_method", "automatic"),
            ("client_secret", .string(id + "_secret_sandbox")),
            ("confirmation_method", "automatic"),
            ("created", .int(created)),
            ("currency", .string(currency)),
            ("customer", .optional(customer)),
            ("description", .null),
            ("last_payment_error", lastPaymentErrorJSON),
            ("latest_charge", .optional(latestCharge)),
            ("livemode", false),
            ("metadata", .dictionary(metadata)),
            // The customer's challenge, completed with the client secret (`stripe.confirmCardPayment`).
            ("next_action", status == "requires_action" ? .object([("type", "use_stripe_sdk")]) : .null),
            ("payment_method", .optional(paymentMethod)),
            ("payment_method_types", .array(["card"])),
            ("setup_future_usage", .null),
            ("status", .string(status)),
        ])
    }

    private var lastPaymentErrorJSON: JSONValue {
        guard let error = lastPaymentError else { return .null }
        return .object([
            ("type", "card_error"),
            ("code", .string(error.code)),
            ("decline_code", .optional(error.declineCode)),
            ("message", .string(error.message)),
            ("charge", .optional(latestCharge)),
        ])
    }
}
