extension PaymentSandboxServer {
    /// Where the sandbox listens, which credentials it accepts, and which faults it injects.
    public struct Configuration: Sendable {
        /// The address to bind. Default `127.0.0.1` (loopback only).
        public var host: String
        /// The port to bind; 0 (default) picks a free one, which ``PaymentSandboxServer/port()`` reports.
        public var port: Int
        /// Faults drawn for requests without a `Sandbox-Fault` header. Default none.
        public var faults: FaultRates
        /// Accepted Stripe secret keys; `nil` (default) accepts any non-empty key.
        public var stripeAPIKeys: Set<String>?
        /// Accepted PayPal client ids and their secrets; `nil` (default) accepts any non-empty pair.
        public var payPalClients: [String: String]?
        /// The lifetime of issued PayPal access tokens, on the sandbox clock. Default 9 hours, as at PayPal.
        public var payPalTokenLifetime: Duration
        /// How long a Stripe `Idempotency-Key` is remembered (and its first answer replayed), on
        /// the sandbox clock. Default 24 hours, as at Stripe.
        ///
        /// Past it the key is forgotten: a request that reuses it is processed as new and charges
        /// again (a second ledger entry for the key), which is the hazard the project guards
        /// against. Objects stay, so searches still find the first charge.
        public var idempotencyKeyRetention: Duration
        /// How long a `PayPal-Request-Id` is remembered, on the sandbox clock. Default 6 hours,
        /// PayPal's documented retention for Orders v2.
        public var payPalRequestIDRetention: Duration
        /// Where Stripe webhook events go, signed with which secret, with which faults. Default off.
        public var webhooks: WebhookSettings

        /// Creates a configuration; see each property for its default.
        public init(
            host: String = "127.0.0.1",
            port: Int = 0,
            faults: FaultRates = .none,
            stripeAPIKeys: Set<String>? = nil,
            payPalClients: [String: String]? = nil,
            payPalTokenLifetime: Duration = .seconds(32_400),
            idempotencyKeyRetention: Duration = .seconds(24 * 3600),
            payPalRequestIDRetention: Duration = .seconds(6 * 3600),
            webhooks: WebhookSettings = .off
        ) {
            self.host = host
            self.port = port
            self.faults = faults
            self.stripeAPIKeys = stripeAPIKeys
            self.payPalClients = payPalClients
            self.payPalTokenLifetime = payPalTokenLifetime
            self.idempotencyKeyRetention = idempotencyKeyRetention
            self.payPalRequestIDRetention = payPalRequestIDRetention
            self.webhooks = webhooks
        }
    }
}
