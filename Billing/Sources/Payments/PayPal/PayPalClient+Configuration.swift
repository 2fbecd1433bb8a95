import Foundation

extension PayPalClient {
    /// Which kind of vaulted payment source the payment-method references name.
    public enum PaymentSourceKind: String, Sendable, Hashable {
        /// A vaulted PayPal wallet: `payment_source.paypal.vault_id`.
        case paypal
        /// A vaulted card: `payment_source.card.vault_id`.
        case card
        /// A vaulted Venmo account: `payment_source.venmo.vault_id`.
        case venmo
    }

    /// How to reach PayPal (or a PayPal-compatible sandbox) and with which client credentials.
    public struct Configuration: Sendable, CustomStringConvertible {
        /// The REST API's base URL. Default `https://api-m.paypal.com`
        /// (PayPal's own test environment is `https://api-m.sandbox.paypal.com`).
        public var baseURL: String
        /// The REST app's client id (not secret, but only sent in the token request).
        public var clientID: String
        /// The REST app's client secret.
        public var clientSecret: APISecret
        /// The kind of vaulted source ``ChargeRequest/paymentMethod`` names. Default ``PaymentSourceKind/paypal``.
        public var paymentSource: PaymentSourceKind
        /// The whole-request deadline for each HTTP request. Default 30 s.
        public var requestTimeout: Duration
        /// How long before its stated expiry an access token is replaced. Default 60 s.
        public var tokenRefreshMargin: Duration
        /// The largest answer read, in bytes; a larger one makes the outcome unknown. Default 1 MiB.
        public var maximumResponseBytes: Int
        /// Extra headers sent with every API request (for example the sandbox's `Sandbox-Fault`). Default none.
        public var additionalHeaders: [String: String]
        /// How long PayPal is relied on to keep a `PayPal-Request-Id` and replay its first answer.
        /// Default 3 hours.
        ///
        /// PayPal documents 6 hours for Orders v2 (up to 72 on request to the account manager);
        /// the default keeps half of it in reserve. Past this retention the caller looks the
        /// charge up (``PayPalClient/lookUpCharge(_:)``). Transaction Search lists a transaction
        /// up to 3 hours after it happened, so a lookup within 3 hours of the charge can miss it;
        /// that is safe only because PayPal still replays the key then (6 hours > 3 hours), so
        /// sending it again cannot charge twice. Never raise this above PayPal's own retention.
        public var idempotencyKeyRetention: Duration

        /// Creates a configuration; see each property for its default.
        public init(
            clientID: String,
            clientSecret: APISecret,
            baseURL: String = "https://api-m.paypal.com",
            paymentSource: PaymentSourceKind = .paypal,
            requestTimeout: Duration = .seconds(30),
            tokenRefreshMargin: Duration = .seconds(60),
            maximumResponseBytes: Int = 1 << 20,
            additionalHeaders: [String: String] = [:],
            idempotencyKeyRetention: Duration = .seconds(3 * 3600)
        ) {
            self.clientID = clientID
            self.clientSecret = clientSecret
            self.baseURL = baseURL
            self.paymentSource = paymentSource
            self.requestTimeout = requestTimeout
            self.tokenRefreshMargin = tokenRefreshMargin
            self.maximumResponseBytes = maximumResponseBytes
            self.additionalHeaders = additionalHeaders
            self.idempotencyKeyRetention = idempotencyKeyRetention
        }

        /// Reads `PAYPAL_CLIENT_ID` and `PAYPAL_CLIENT_SECRET` (or the files their `_FILE` variants name).
        ///
        /// Throws ``PaymentError`` with ``PaymentError/Code/missingCredentials`` when one is missing.
        public static func fromEnvironment(
            baseURL: String = "https://api-m.paypal.com",
            environment: [String: String] = ProcessInfo.processInfo.environment
        ) throws -> Configuration {
            let clientID = try APISecret.fromEnvironment("PAYPAL_CLIENT_ID", environment: environment)
            let secret = try APISecret.fromEnvironment("PAYPAL_CLIENT_SECRET", environment: environment)
            return Configuration(clientID: clientID.value, clientSecret: secret, baseURL: baseURL)
        }

        /// The configuration with the secret redacted.
        public var description: String {
            "PayPalClient.Configuration(baseURL: \(baseURL), clientID: \(clientID), clientSecret: \(clientSecret), paymentSource: \(paymentSource), requestTimeout: \(requestTimeout), idempotencyKeyRetention: \(idempotencyKeyRetention))"
        }

        /// Throws when a value is unusable.
        func validated() throws -> Configuration {
            var copy = self
            while copy.baseURL.hasSuffix("/") { copy.baseURL.removeLast() }
            guard let url = URL(string: copy.baseURL), let scheme = url.scheme?.lowercased(),
                scheme == "http" || scheme == "https", url.host != nil
            else {
                throw PaymentError(
                    code: .invalidConfiguration,
                    message: "PayPal base URL \"\(baseURL)\" is not an http(s) URL with a host, such as https://api-m.paypal.com"
                )
            }
            guard !clientID.isEmpty, !clientSecret.value.isEmpty else {
                throw PaymentError(code: .missingCredentials, message: "PayPal client id and secret must not be empty")
            }
            guard requestTimeout > .zero, tokenRefreshMargin >= .zero, maximumResponseBytes > 0, idempotencyKeyRetention > .zero else {
                throw PaymentError(
                    code: .invalidConfiguration,
                    message:
                        "PayPal requestTimeout, maximumResponseBytes and idempotencyKeyRetention must be positive and tokenRefreshMargin not negative"
                )
            }
            return copy
        }
    }
}
