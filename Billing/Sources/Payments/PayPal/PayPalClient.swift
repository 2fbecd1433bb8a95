import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOHTTP1

/// Charges vaulted PayPal sources through the Orders v2 API: one order created with
/// `intent: CAPTURE` and a `vault_id` payment source, captured in the same call, per idempotency key.
///
/// The idempotency key travels as `PayPal-Request-Id` (at most 108 characters) and as the
/// purchase unit's `invoice_id`, which PayPal's Transaction Search reports and
/// ``lookUpCharge(_:)`` finds the charge by; the customer travels as the purchase unit's
/// `custom_id`, the metadata (without `idempotency_key`, which `invoice_id` carries) as its
/// `description` (`key=value; ...`, cut to 127 characters). An OAuth2 client-credentials token is
/// fetched on first use, cached until shortly before it expires, and fetched again once when
/// PayPal rejects it.
///
/// Not guaranteed: PayPal keeps request ids for a limited time (6 hours by default for Orders
/// v2); a retry after that creates a second order, unless the account blocks duplicate invoice
/// ids (then PayPal refuses it with `DUPLICATE_INVOICE_ID`, an
/// ``ChargeOutcome/idempotencyConflict(message:)``). Past ``idempotencyKeyRetention`` the caller
/// looks the charge up instead of re-sending it. The client does not retry by itself. The
/// `HTTPClient` is the caller's; its connection-pool size bounds concurrency.
public struct PayPalClient: PaymentProvider {
    /// The validated configuration.
    public let configuration: Configuration
    let transport: ProviderTransport
    private let tokens = PayPalAccessTokens()
    let logger: Logger

    /// Creates a client. Throws ``PaymentError`` when the configuration is unusable.
    public init(configuration: Configuration, httpClient: HTTPClient = .shared, logger: Logger) throws {
        let configuration = try configuration.validated()
        self.configuration = configuration
        self.transport = ProviderTransport(
            client: httpClient,
            timeout: configuration.requestTimeout,
            maximumResponseBytes: configuration.maximumResponseBytes
        )
        self.logger = logger
    }

    /// How long PayPal keeps a `PayPal-Request-Id`: ``Configuration/idempotencyKeyRetention``.
    public var idempotencyKeyRetention: Duration { configuration.idempotencyKeyRetention }

    /// Creates and captures an order for `request`, once per idempotency key.
    public func charge(_ request: ChargeRequest) async throws -> ChargeOutcome {
        try Self.validate(request)
        let body = try JSONEncoder().encode(orderBody(for: request))
        var logger = self.logger
        logger[metadataKey: "idempotency-key"] = "\(request.idempotencyKey)"

        let answer = try await sendAuthorized(logger: logger) { token in
            let fields = headers(
                token: token,
                ["Content-Type": "application/json", "Prefer": "return=representation", "PayPal-Request-Id": request.idempotencyKey]
            )
            return ProviderTransport.Request(
                method: .POST, url: configuration.baseURL + "/v2/checkout/orders", headers: fields, body: Array(body))
        }
        let outcome: ChargeOutcome
        switch answer {
        case .noToken(let reason):
            outcome = .retryable(message: "no PayPal access token, nothing was sent: \(reason)")
        case .sent(.notSent(let reason)):
            outcome = .retryable(message: "PayPal was not reached, nothing was charged: \(reason)")
        case .sent(.lost(let reason)):
            outcome = .unknown(
                message: "PayPal's answer was lost, the charge may have happened: \(reason); retry with the same idempotency key")
        case .sent(.response(let response)):
            outcome = try Self.outcome(status: response.status, retryAfter: response.header("Retry-After"), body: response.body)
        }
        if case .unknown(let message) = outcome {
            logger.notice("PayPal charge outcome unknown", metadata: ["reason": "\(message)"])
        } else {
            logger.debug("PayPal charge answered", metadata: ["outcome": "\(outcome)"])
        }
        return outcome
    }

    /// What an authorized request came to.
    enum AuthorizedAnswer {
        /// No access token could be had, for a reason a later try may fix; nothing was sent.
        case noToken(String)
        /// The request was sent with a token PayPal did not refuse (or its fate is unknown).
        case sent(ProviderTransport.Result)
    }

    /// Sends the request `make` builds for an access token; when PayPal refuses the token
    /// (HTTP 401, before it looks at the request), fetches a new one and sends once more.
    ///
    /// Throws ``PaymentError`` (``PaymentError/Code/authenticationFailed``) when PayPal refuses
    /// the client credentials or a freshly issued token.
    func sendAuthorized(
        logger: Logger, _ make: (String) -> ProviderTransport.Request
    ) async throws -> AuthorizedAnswer {
        var rejectedToken: String?
        for _ in 0..<2 {
            let token: String
            do {
                token = try await accessToken(logger: logger)
            } catch let error as PayPalTokenUnavailable {
                return .noToken(error.message)
            }
            if token == rejectedToken { break }
            let result = try await transport.send(make(token), logger: logger)
            if case .response(let response) = result, response.status == 401 {
                // The token was refused before the request was looked at: fetch a new one, send again.
                logger.debug("PayPal refused the access token; fetching a new one")
                await tokens.invalidate(token)
                rejectedToken = token
                continue
            }
            return .sent(result)
        }
        throw PaymentError(
            code: .authenticationFailed,
            message:
                "PayPal refused a freshly issued access token (HTTP 401): check PAYPAL_CLIENT_ID and PAYPAL_CLIENT_SECRET and the app's permissions"
        )
    }

    /// The headers of an API request with `token`: authorization, JSON, the request's own
    /// `fields`, then the configured extras (which replace any of the same name).
    func headers(token: String, _ fields: KeyValuePairs<String, String> = [:]) -> HTTPHeaders {
        var headers = HTTPHeaders()
        headers.add(name: "Authorization", value: "Bearer " + token)
        headers.add(name: "Accept", value: "application/json")
        for (name, value) in fields { headers.add(name: name, value: value) }
        for (name, value) in configuration.additionalHeaders.sorted(by: { $0.key < $1.key }) {
            headers.replaceOrAdd(name: name, value: value)
        }
        return headers
    }

    /// The create-order body for `request`.
    func orderBody(for request: ChargeRequest) -> PayPalWire.CreateOrder {
        // The key travels as invoice_id; leaving it out of the description keeps the 127
        // characters for the rest of the metadata.
        let description = request.metadata.keys.sorted().filter { $0 != "idempotency_key" }
            .map { "\($0)=\(request.metadata[$0] ?? "")" }.joined(separator: "; ")
        return PayPalWire.CreateOrder(
            purchaseUnits: [
                PayPalWire.PurchaseUnit(
                    referenceID: "default",
                    invoiceID: request.idempotencyKey,
                    customID: String(request.customer.prefix(127)),
                    description: description.isEmpty ? nil : String(description.prefix(127)),
                    amount: PayPalWire.Amount(
                        currencyCode: request.currency.uppercased(),
                        value: PayPalAmount.value(minorUnits: request.amountMinor, currency: request.currency)
                    )
                )
            ],
            paymentSource: [configuration.paymentSource.rawValue: PayPalWire.VaultReference(vaultID: request.paymentMethod)]
        )
    }

    /// A valid access token, from the cache or from `POST /v1/oauth2/token`.
    private func accessToken(logger: Logger) async throws -> String {
        let configuration = self.configuration
        let transport = self.transport
        return try await tokens.token {
            var http = ProviderTransport.Request(method: .POST, url: configuration.baseURL + "/v1/oauth2/token")
            let basic = Data((configuration.clientID + ":" + configuration.clientSecret.value).utf8).base64EncodedString()
            http.headers.add(name: "Authorization", value: "Basic " + basic)
            http.headers.add(name: "Content-Type", value: "application/x-www-form-urlencoded")
            http.headers.add(name: "Accept", value: "application/json")
            http.body = Array("grant_type=client_credentials".utf8)
            let response: ProviderTransport.Response
            switch try await transport.send(http, logger: logger) {
            case .notSent(let reason), .lost(let reason):
                throw PayPalTokenUnavailable(message: reason)
            case .response(let answer):
                response = answer
            }
            if response.status == 401 || response.status == 403 {
                let oauth = try? JSONDecoder().decode(PayPalWire.OAuthError.self, from: Data(response.body))
                throw PaymentError(
                    code: .authenticationFailed,
                    message:
                        "PayPal refused the client credentials (HTTP \(response.status)\(oauth.map { ", \($0.error)" } ?? "")): check PAYPAL_CLIENT_ID and PAYPAL_CLIENT_SECRET"
                )
            }
            guard response.status == 200,
                let token = try? JSONDecoder().decode(PayPalWire.AccessToken.self, from: Data(response.body)),
                !token.accessToken.isEmpty
            else {
                throw PayPalTokenUnavailable(
                    message: "the token endpoint answered HTTP \(response.status) with \(response.bodySnippet()), not an access token"
                )
            }
            let lifetime = Duration.seconds(token.expiresIn ?? 300)
            let margin = min(configuration.tokenRefreshMargin, lifetime / 2)
            return PayPalAccessTokens.Token(value: token.accessToken, refreshAt: ContinuousClock.now + lifetime - margin)
        }
    }

    /// Rejects requests that cannot be sent as they are.
    static func validate(_ request: ChargeRequest) throws {
        let key = request.idempotencyKey
        guard !key.isEmpty, key.utf8.count <= 108 else {
            throw PaymentError(
                code: .invalidRequest,
                message: "PayPal-Request-Id must be 1 to 108 characters; the idempotency key has \(key.utf8.count)"
            )
        }
        guard key.unicodeScalars.allSatisfy({ $0.value >= 0x20 && $0.value < 0x7F }) else {
            throw PaymentError(
                code: .invalidRequest, message: "the idempotency key \"\(key)\" must be printable ASCII to travel in an HTTP header")
        }
        guard request.amountMinor > 0 else {
            throw PaymentError(code: .invalidRequest, message: "the amount must be positive, not \(request.amountMinor) minor units")
        }
        guard request.currency.count == 3, request.currency.allSatisfy({ $0.isASCII && $0.isLetter }) else {
            throw PaymentError(code: .invalidRequest, message: "\"\(request.currency)\" is not a three-letter ISO 4217 currency code")
        }
        guard !request.paymentMethod.isEmpty else {
            throw PaymentError(code: .invalidRequest, message: "the payment method (a PayPal vault id) is empty")
        }
    }
}
