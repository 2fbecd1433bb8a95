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
        var clientSecret: String? = nil
        var nextAction: NextAction? = nil

        enum CodingKeys: String, CodingKey {
            case id, object, status, amount, currency, customer, metadata
            case lastPaymentError = "last_payment_error"
            case clientSecret = "client_secret"
            case nextAction = "next_action"
        }

        /// What brings the customer back to authenticate this intent.
        var customerAction: CustomerAction {
            CustomerAction(url: nextAction?.redirectToURL?.url, clientSecret: clientSecret)
        }

        /// Whether the intent waits for its customer to authenticate: `requires_action`, or an
        /// off-session attempt that failed with `authentication_required` (the customer can
        /// still complete this intent on-session).
        var awaitsCustomer: Bool {
            status == "requires_action"
                || (status == "requires_payment_method"
                    && (lastPaymentError?.code == "authentication_required" || lastPaymentError?.declineCode == "authentication_required"))
        }
    }

    /// A PaymentIntent's `next_action`, as far as it names a page to send the customer to.
    struct NextAction: Decodable, Sendable {
        struct Redirect: Decodable, Sendable { var url: String? }
        var type: String?
        var redirectToURL: Redirect?

        enum CodingKeys: String, CodingKey {
            case type
            case redirectToURL = "redirect_to_url"
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

    /// Any object, read for its `id` (and, for a PaymentIntent in an error, its client secret).
    struct Reference: Decodable, Sendable {
        var id: String
        var clientSecret: String?

        enum CodingKeys: String, CodingKey {
            case id
            case clientSecret = "client_secret"
        }
    }
}
