/// The parts of Stripe's JSON answers the client reads: a PaymentIntent, a search result, or an error object.
///
/// Unknown fields are ignored, so newer API versions decode as long as these fields keep their meaning.
enum StripeWire {
    /// A PaymentIntent (`object: "payment_intent"`).
    struct PaymentIntent: Decodable, Sendable {
        var id: String
        var object: String?
        var status: String
        var amount: Int64?
        var currency: String?
        var customer: String?
        var metadata: [String: String]?
        var lastPaymentError: ErrorDetail?

        enum CodingKeys: String, CodingKey {
            case id, object, status, amount, currency, customer, metadata
            case lastPaymentError = "last_payment_error"
        }
    }

    /// A page of search results (`object: "search_result"`), here of PaymentIntents.
    struct SearchResult: Decodable, Sendable {
        var object: String
        var data: [PaymentIntent]
        var hasMore: Bool?

        enum CodingKeys: String, CodingKey {
            case object, data
            case hasMore = "has_more"
        }
    }

    /// `{"error": {...}}`.
    struct ErrorEnvelope: Decodable, Sendable {
        var error: ErrorDetail
    }

    /// The error object.
    struct ErrorDetail: Decodable, Sendable {
        var type: String?
        var code: String?
        var declineCode: String?
        var message: String?
        var param: String?
        var paymentIntent: Reference?

        enum CodingKeys: String, CodingKey {
            case type, code, message, param
            case declineCode = "decline_code"
            case paymentIntent = "payment_intent"
        }
    }

    /// Any object, read for its `id` only.
    struct Reference: Decodable, Sendable {
        var id: String
    }
}
