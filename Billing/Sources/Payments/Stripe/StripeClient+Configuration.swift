import Foundation

extension StripeClient {
    /// How to reach Stripe (or a Stripe-compatible sandbox) and with which key.
    public struct Configuration: Sendable, CustomStringConvertible {
        /// The API's base URL, without the `/v1`. Default `https://api.stripe.com`.
        public var baseURL: String
        /// The secret key (`sk_live_...`, `sk_test_...`), sent as `Authorization: Bearer`.
        public var apiKey: APISecret
        /// The `Stripe-Version` header, or `nil` (default) for the account's default version.
        public var stripeVersion: String?
        /// The whole-request deadline: connecting, sending and reading the answer. Default 30 s.
        ///
        /// When it passes after the request may have been sent, the outcome is
        /// ``ChargeOutcome/unknown(_:)``. Stripe's own libraries allow 80 s.
        public var requestTimeout: Duration
        /// The largest answer read, in bytes; a larger one makes the outcome unknown. Default 1 MiB.
        public var maximumResponseBytes: Int
        /// Extra headers sent with every API request (for example the sandbox's `Sandbox-Fault`). Default none.
        public var additionalHeaders: [String: String]
        /// How long Stripe is relied on to keep an idempotency key and replay its first answer.
        /// Default 24 hours.
        ///
        /// Stripe documents that it may prune a key once the key is at least 24 hours old; a
        /// request with a pruned key is processed as new and can charge a second time. Past this retention (less the engine's safety margin) a
        /// charge is looked up (``StripeClient/lookUpCharge(_:)``), never re-sent. Lower it, never
        /// raise it, unless Stripe has agreed to a longer retention for the account.
        public var idempotencyKeyRetention: Duration

        /// Creates a configuration; see each property for its default.
        public init(
            apiKey: APISecret,
            baseURL: String = "https://api.stripe.com",
            stripeVersion: String? = nil,
            requestTimeout: Duration = .seconds(30),
            maximumResponseBytes: Int = 1 << 20,
            additionalHeaders: [String: String] = [:],
            idempotencyKeyRetention: Duration = .seconds(24 * 3600)
        ) {
            self.apiKey = apiKey
            self.baseURL = baseURL
            self.stripeVersion = stripeVersion
            self.requestTimeout = requestTimeout
            self.maximumResponseBytes = maximumResponseBytes
            self.additionalHeaders = additionalHeaders
            self.idempotencyKeyRetention = idempotencyKeyRetention
        }

        /// Reads the key from `STRIPE_API_KEY` or the file `STRIPE_API_KEY_FILE` names.
        ///
        /// Throws ``PaymentError`` with ``PaymentError/Code/missingCredentials`` when neither
        /// (or both) is set.
        public static func fromEnvironment(
            baseURL: String = "https://api.stripe.com",
            environment: [String: String] = ProcessInfo.processInfo.environment
        ) throws -> Configuration {
            Configuration(apiKey: try APISecret.fromEnvironment("STRIPE_API_KEY", environment: environment), baseURL: baseURL)
        }

        /// The configuration with the key redacted.
        public var description: String {
            "StripeClient.Configuration(baseURL: \(baseURL), apiKey: \(apiKey), stripeVersion: \(stripeVersion ?? "default"), requestTimeout: \(requestTimeout), idempotencyKeyRetention: \(idempotencyKeyRetention))"
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
                    message: "Stripe base URL \"\(baseURL)\" is not an http(s) URL with a host, such as https://api.stripe.com"
                )
            }
            guard requestTimeout > .zero else {
                throw PaymentError(code: .invalidConfiguration, message: "Stripe requestTimeout must be positive, not \(requestTimeout)")
            }
            guard maximumResponseBytes > 0 else {
                throw PaymentError(code: .invalidConfiguration, message: "Stripe maximumResponseBytes must be positive")
            }
            guard idempotencyKeyRetention > .zero else {
                throw PaymentError(
                    code: .invalidConfiguration, message: "Stripe idempotencyKeyRetention must be positive, not \(idempotencyKeyRetention)")
            }
            return copy
        }
    }
}
