import AsyncHTTPClient
import Logging
import NIOCore
import NIOHTTP1

/// Charges saved cards through Stripe's PaymentIntents API: one confirmed, off-session
/// PaymentIntent per idempotency key.
///
/// Each ``charge(_:)`` sends `POST /v1/payment_intents` (form-encoded: `amount`, lowercase
/// `currency`, `customer`, `payment_method`, `confirm=true`, `off_session=true`,
/// `metadata[...]`) with the request's key in `Idempotency-Key`, and maps the answer to a
/// ``ChargeOutcome`` (see ``outcome(status:retryAfter:body:)`` for the table).
///
/// Within Stripe's key retention (``idempotencyKeyRetention``, 24 hours by default) the caller
/// reconciles an ``ChargeOutcome/unknown(_:)`` by calling ``charge(_:)`` again with the same key.
/// Past it, Stripe may have forgotten the key and would charge again, so the caller looks the
/// charge up instead: ``lookUpCharge(_:)`` finds the PaymentIntent by every entry of the
/// request's metadata with Stripe's Search API.
///
/// Not guaranteed: the client does not retry by itself; a lookup finds a charge only as well as
/// its metadata names it (the renewal engine's subscription, period and attempt do), and Search
/// lags behind writes (see ``lookUpCharge(_:)``). The `HTTPClient` is the caller's; its connection-pool size bounds how
/// many charges run at once (the shared client's default is 8 per host).
public struct StripeClient: PaymentProvider {
    /// The validated configuration.
    public let configuration: Configuration
    let transport: ProviderTransport
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

    /// How long Stripe keeps a key: ``Configuration/idempotencyKeyRetention``.
    public var idempotencyKeyRetention: Duration { configuration.idempotencyKeyRetention }

    /// Creates (and confirms) a PaymentIntent for `request`, once per idempotency key.
    public func charge(_ request: ChargeRequest) async throws -> ChargeOutcome {
        try Self.validate(request)
        var http = ProviderTransport.Request(method: .POST, url: configuration.baseURL + "/v1/payment_intents", headers: headers)
        http.headers.add(name: "Content-Type", value: "application/x-www-form-urlencoded")
        http.headers.add(name: "Idempotency-Key", value: request.idempotencyKey)
        http.body = Array(Self.formBody(for: request).utf8)

        var logger = self.logger
        logger[metadataKey: "idempotency-key"] = "\(request.idempotencyKey)"
        let outcome: ChargeOutcome
        switch try await transport.send(http, logger: logger) {
        case .notSent(let reason):
            outcome = .retryable(message: "Stripe was not reached, nothing was charged: \(reason)")
        case .lost(let reason):
            outcome = .unknown(
                message: "Stripe's answer was lost, the charge may have happened: \(reason); retry with the same idempotency key")
        case .response(let response):
            outcome = try Self.outcome(status: response.status, retryAfter: response.header("Retry-After"), body: response.body)
            if response.header("Idempotent-Replayed") == "true" {
                logger.debug("Stripe replayed the saved answer for this key")
            }
        }
        log(outcome, logger: logger)
        return outcome
    }

    /// Reads a PaymentIntent back (`GET /v1/payment_intents/{id}`) and reports it as a ``ChargeOutcome``.
    ///
    /// A succeeded intent is ``ChargeOutcome/succeeded(reference:)``; one that failed is
    /// ``ChargeOutcome/declined(code:declineCode:message:hard:reference:)`` with its last error;
    /// one still processing is ``ChargeOutcome/unknown(_:)``. An unknown id throws
    /// ``PaymentError`` with ``PaymentError/Code/invalidRequest``.
    public func retrievePaymentIntent(id: String) async throws -> ChargeOutcome {
        guard !id.isEmpty, id.utf8.allSatisfy({ $0 > 0x20 && $0 != UInt8(ascii: "/") && $0 < 0x7F }) else {
            throw PaymentError(code: .invalidRequest, message: "\"\(id)\" is not a PaymentIntent id such as pi_123")
        }
        let http = ProviderTransport.Request(
            method: .GET, url: configuration.baseURL + "/v1/payment_intents/" + FormEncoder.escape(id), headers: headers)
        switch try await transport.send(http, logger: logger) {
        case .notSent(let reason):
            return .retryable(message: "Stripe was not reached: \(reason)")
        case .lost(let reason):
            return .unknown(message: "Stripe's answer was lost: \(reason)")
        case .response(let response):
            return try Self.outcome(status: response.status, retryAfter: response.header("Retry-After"), body: response.body)
        }
    }

    /// The headers every API request carries: the key, the version, the configured extras.
    var headers: HTTPHeaders {
        var headers = HTTPHeaders()
        headers.add(name: "Authorization", value: "Bearer " + configuration.apiKey.value)
        headers.add(name: "Accept", value: "application/json")
        headers.add(name: "User-Agent", value: "swift-leader-election-payments/1")
        if let version = configuration.stripeVersion {
            headers.add(name: "Stripe-Version", value: version)
        }
        for (name, value) in configuration.additionalHeaders.sorted(by: { $0.key < $1.key }) {
            headers.replaceOrAdd(name: name, value: value)
        }
        return headers
    }

    private func log(_ outcome: ChargeOutcome, logger: Logger) {
        switch outcome {
        case .succeeded(let reference):
            logger.debug("Stripe charge succeeded", metadata: ["reference": "\(reference)"])
        case .unknown(let message):
            logger.notice("Stripe charge outcome unknown", metadata: ["reason": "\(message)"])
        default:
            logger.debug("Stripe charge did not succeed", metadata: ["outcome": "\(outcome)"])
        }
    }

    /// Rejects requests that cannot be sent as they are.
    static func validate(_ request: ChargeRequest) throws {
        let key = request.idempotencyKey
        guard !key.isEmpty, key.utf8.count <= 255 else {
            throw PaymentError(
                code: .invalidRequest,
                message: "the idempotency key must be 1 to 255 characters, not \(key.utf8.count): derive it from the business intent"
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
    }

    /// The form body of a charge: fixed fields first, then metadata in key order.
    static func formBody(for request: ChargeRequest) -> String {
        var form = FormEncoder()
        form.append("amount", String(request.amountMinor))
        form.append("currency", request.currency.lowercased())
        form.append("customer", request.customer)
        form.append("payment_method", request.paymentMethod)
        form.append("confirm", "true")
        form.append("off_session", "true")
        for key in request.metadata.keys.sorted() {
            form.append("metadata[\(key)]", request.metadata[key] ?? "")
        }
        return form.encoded
    }
}
