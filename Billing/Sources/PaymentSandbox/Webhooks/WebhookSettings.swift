/// Where the sandbox delivers its webhook events, with which faults: Stripe's, signed with a
/// secret (`Stripe-Signature`), and PayPal's, signed with the sandbox's own key for a webhook id
/// (`PAYPAL-TRANSMISSION-SIG`, which only the sandbox's verification endpoint can check, as at PayPal).
public struct WebhookSettings: Sendable, Hashable, Codable {
    /// The Stripe endpoints (`http(s)://...`); none: no Stripe webhooks are sent.
    public var endpoints: [String]
    /// The signing secret (`whsec_...`) the Stripe endpoints verify `Stripe-Signature` with.
    public var secret: String
    /// The PayPal endpoints; none: no PayPal webhooks are sent.
    public var payPalEndpoints: [String]
    /// The id of the PayPal webhook the deliveries are for (what the receiver verifies with).
    public var payPalWebhookID: String
    /// Faults drawn per event.
    public var faults: WebhookFaults

    /// No webhooks.
    public static let off = WebhookSettings(endpoints: [], secret: "", faults: .none)

    /// Creates settings.
    public init(
        endpoints: [String], secret: String, payPalEndpoints: [String] = [], payPalWebhookID: String = "", faults: WebhookFaults = .none
    ) {
        self.endpoints = endpoints
        self.secret = secret
        self.payPalEndpoints = payPalEndpoints
        self.payPalWebhookID = payPalWebhookID
        self.faults = faults
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        endpoints = try container.decodeIfPresent([String].self, forKey: .endpoints) ?? []
        secret = try container.decodeIfPresent(String.self, forKey: .secret) ?? ""
        payPalEndpoints = try container.decodeIfPresent([String].self, forKey: .payPalEndpoints) ?? []
        payPalWebhookID = try container.decodeIfPresent(String.self, forKey: .payPalWebhookID) ?? ""
        faults = try container.decodeIfPresent(WebhookFaults.self, forKey: .faults) ?? .none
    }

    enum CodingKeys: String, CodingKey {
        case endpoints, secret, faults
        case payPalEndpoints = "paypal_endpoints"
        case payPalWebhookID = "paypal_webhook_id"
    }

    /// Checks the endpoints are http(s) URLs, a secret is given with them, and the fault rates are valid.
    public func validate() throws(PaymentSandboxError) {
        try faults.validate()
        for endpoint in endpoints + payPalEndpoints where !(endpoint.hasPrefix("http://") || endpoint.hasPrefix("https://")) {
            throw PaymentSandboxError(
                code: .invalidConfiguration, message: "webhook endpoint '\(endpoint)' is not an http(s) URL")
        }
        if !endpoints.isEmpty, secret.isEmpty {
            throw PaymentSandboxError(code: .invalidConfiguration, message: "webhook endpoints need a signing secret (whsec_...)")
        }
        if !payPalEndpoints.isEmpty, payPalWebhookID.isEmpty {
            throw PaymentSandboxError(
                code: .invalidConfiguration, message: "PayPal webhook endpoints need a webhook id (paypal_webhook_id)")
        }
    }
}

/// What the sandbox's webhook delivery has done, for tests and the demo.
public struct WebhookStatistics: Sendable, Hashable, Codable {
    /// Events made (one per PaymentIntent change).
    public var events = 0
    /// Deliveries an endpoint accepted (2xx), duplicates included.
    public var delivered = 0
    /// Events dropped by the fault.
    public var dropped = 0
    /// Events delivered twice by the fault.
    public var duplicated = 0
    /// Events held back behind the next one.
    public var reordered = 0
    /// Events delayed.
    public var delayed = 0
    /// Delivery attempts an endpoint refused or did not answer (retried).
    public var failedAttempts = 0
    /// Events given up after every retry failed.
    public var abandoned = 0

    enum CodingKeys: String, CodingKey {
        case events, delivered, dropped, duplicated, reordered, delayed, abandoned
        case failedAttempts = "failed_attempts"
    }
}
