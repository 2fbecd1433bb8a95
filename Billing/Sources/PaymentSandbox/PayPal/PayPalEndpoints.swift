import Foundation
import Hummingbird

/// `POST /v1/oauth2/token`, `POST /v2/checkout/orders`, `GET /v2/checkout/orders/{id}` and (in
/// `PayPalEndpoints+TransactionSearch.swift`) `GET /v1/reporting/transactions`.
struct PayPalEndpoints: Sendable {
    let pipeline: SandboxPipeline
    /// Sends the webhook events a request made, once it is answered.
    let webhooks: WebhookDispatcher
    /// Accepted client id → secret; `nil` accepts any non-empty pair.
    let clients: [String: String]?
    /// The lifetime of issued access tokens.
    let tokenLifetime: Duration
    let dialect = PayPalDialect()

    /// Issues an access token for client credentials (HTTP Basic).
    func token(_ request: Request, context: SandboxRequestContext) async throws -> Response {
        let body = try await request.body.collect(upTo: context.maxUploadSize)
        let form = FormBody(body.readableBytesView)
        let credentials = Self.basicCredentials(request.headers[.authorization])
        guard let credentials, !credentials.id.isEmpty, !credentials.secret.isEmpty,
            clients.map({ $0[credentials.id] == credentials.secret }) ?? true
        else {
            let body = JSONValue.object([("error", "invalid_client"), ("error_description", "Client Authentication failed")])
            return SavedResponse.json(401, body.bytes, requestID: SandboxIDs.make("req_", length: 14)).response()
        }
        guard form["grant_type"] == "client_credentials" else {
            let body = JSONValue.object([
                ("error", "unsupported_grant_type"), ("error_description", "Grant Type is NULL or not client_credentials"),
            ])
            return SavedResponse.json(400, body.bytes, requestID: SandboxIDs.make("req_", length: 14)).response()
        }
        let lifetime = tokenLifetime
        return try await pipeline.run(request, context: context, dialect: dialect, idempotency: nil) { storage, requestID in
            let token = SandboxIDs.make("A21AA", length: 40)
            storage.payPalTokens[token] = storage.now + lifetime
            let body = JSONValue.object([
                ("scope", "https://uri.paypal.com/services/payments/payment"),
                ("access_token", .string(token)),
                ("token_type", "Bearer"),
                ("app_id", "APP-SANDBOX"),
                ("expires_in", .int(lifetime.components.seconds)),
                ("nonce", .string(SandboxIDs.make("", length: 32))),
            ])
            return .init(response: .json(200, body.bytes, requestID: requestID), save: false, requestID: requestID)
        }
    }

    /// Creates an order and captures it at once from the vaulted source.
    func createOrder(_ request: Request, context: SandboxRequestContext) async throws -> Response {
        let body = try await request.body.collect(upTo: context.maxUploadSize)
        if let refusal = authenticate(request) { return refusal.response() }
        let bytes = Array(body.readableBytesView)
        let requestID = SandboxIDs.make("req_", length: 14)
        guard let order = try? JSONDecoder().decode(PayPalOrderRequest.self, from: Data(bytes)) else {
            return dialect.badRequest(
                "Request is not well-formed, syntactically incorrect, or violates schema.", param: "body", requestID: requestID
            ).response()
        }
        let key = request.headers[SandboxHeaders.payPalRequestID].flatMap { $0.isEmpty ? nil : $0 }
        let idempotency = key.map {
            SandboxPipeline.Idempotency(scope: IdempotencyScope(provider: "paypal", key: $0), fingerprint: Self.canonical(bytes))
        }
        let response = try await pipeline.run(request, context: context, dialect: dialect, idempotency: idempotency) { storage, requestID in
            Self.apply(order, key: key, requestID: requestID, storage: &storage)
        }
        webhooks.flush(pipeline.state)
        return response
    }

    /// Answers an order by id.
    func retrieveOrder(_ request: Request, context: SandboxRequestContext) async throws -> Response {
        if let refusal = authenticate(request) { return refusal.response() }
        let id = context.parameters.get("id") ?? ""
        return try await pipeline.run(request, context: context, dialect: dialect, idempotency: nil) { storage, requestID in
            guard let order = storage.orders[id] else {
                return .init(
                    response: PayPalDialect.error(
                        404, name: "RESOURCE_NOT_FOUND", message: "The specified resource does not exist.",
                        issue: "INVALID_RESOURCE_ID", description: "Specified resource ID \(id) does not exist.", requestID: requestID
                    ),
                    save: false, requestID: requestID
                )
            }
            return .init(response: .json(200, order, requestID: requestID), save: false, requestID: requestID)
        }
    }

    /// A 401 answer unless the request carries an unexpired token this sandbox issued.
    func authenticate(_ request: Request) -> SavedResponse? {
        let header = request.headers[.authorization] ?? ""
        let token = header.hasPrefix("Bearer ") ? String(header.dropFirst(7)) : ""
        let valid = pipeline.state.withStorage { storage in
            storage.payPalTokens[token].map { storage.now < $0 } ?? false
        }
        if valid { return nil }
        return PayPalDialect.error(
            401, name: "AUTHENTICATION_FAILURE",
            message: "Authentication failed due to invalid authentication credentials or a missing Authorization header.",
            requestID: SandboxIDs.make("req_", length: 14)
        )
    }

    /// Validates and applies one create-order request; runs under the state lock.
    static func apply(_ order: PayPalOrderRequest, key: String?, requestID: String, storage: inout SandboxStorage) -> SandboxState.Processed
    {
        func invalid(_ message: String, _ field: String) -> SandboxState.Processed {
            .init(
                response: PayPalDialect.error(
                    422, name: "UNPROCESSABLE_ENTITY",
                    message: "The requested action could not be performed, semantically incorrect, or failed business validation.",
                    issue: "INVALID_PARAMETER_VALUE", description: "\(message) (\(field))", requestID: requestID
                ),
                save: false, requestID: requestID
            )
        }
        guard order.intent == "CAPTURE" else { return invalid("The sandbox captures at once: intent must be CAPTURE", "/intent") }
        guard order.purchaseUnits.count == 1, let unit = order.purchaseUnits.first else {
            return invalid("Exactly one purchase unit is supported", "/purchase_units")
        }
        let currency = unit.amount.currencyCode.uppercased()
        guard currency.count == 3, let amount = PayPalOrderRequest.minorUnits(unit.amount.value, currency: currency), amount > 0 else {
            return invalid("The amount must be a positive decimal in the currency's precision", "/purchase_units/0/amount/value")
        }
        guard let (sourceKind, vault) = order.paymentSource?.first, let vaultID = vault.vaultID, !vaultID.isEmpty else {
            return invalid("A vaulted payment source is required: payment_source.<kind>.vault_id", "/payment_source")
        }
        let scenario = TestScenario(paymentMethod: vaultID)
        let orderID = SandboxIDs.payPal()
        let captureID = SandboxIDs.payPal()
        let now = ISO8601DateFormatter().string(from: Date())
        let amountJSON = JSONValue.object([("currency_code", .string(currency)), ("value", .string(unit.amount.value))])
        let metadata = Self.metadata(fromDescription: unit.description)

        let response: SavedResponse
        let status: String
        var declineCode: String?
        var reference = captureID
        switch scenario {
        case .genericDecline, .processingError:
            let issue = scenario == .genericDecline ? "INSTRUMENT_DECLINED" : "TRANSACTION_REFUSED"
            status = "declined"
            declineCode = issue
            reference = orderID
            response = PayPalDialect.error(
                422, name: "UNPROCESSABLE_ENTITY",
                message: "The requested action could not be performed, semantically incorrect, or failed business validation.",
                issue: issue,
                description: scenario == .genericDecline
                    ? "The instrument presented was either declined by the processor or bank, or it can't be used for this payment."
                    : "The request was refused.",
                requestID: requestID
            )
        case .authenticationRequired:
            // The payer must approve the order first; nothing is captured until then.
            status = "requires_action"
            reference = orderID
            let body = Self.order(
                orderID, status: "PAYER_ACTION_REQUIRED", source: (sourceKind, vaultID), created: now,
                (
                    "links",
                    .array([
                        .object([
                            ("href", .string("https://www.sandbox.paypal.com/checkoutnow?token=\(orderID)")), ("rel", "payer-action"),
                            ("method", "GET"),
                        ])
                    ])
                ))
            storage.orders[orderID] = body
            response = .json(200, body, requestID: requestID, extraHeaders: [SandboxHeaders.payPalDebugID: requestID])
        default:
            let processorCode: String? =
                switch scenario {
                case .insufficientFunds: "5120"
                case .expiredCard: "5400"
                case .lostCard, .stolenCard: "9520"
                case .fraudulent: "9500"
                default: nil
                }
            let pending = scenario == .processing
            status = processorCode == nil ? (pending ? "processing" : "succeeded") : "declined"
            declineCode = processorCode
            let captureStatus = processorCode == nil ? (pending ? "PENDING" : "COMPLETED") : "DECLINED"
            var capture: [(String, JSONValue)] = [
                ("id", .string(captureID)),
                ("status", .string(captureStatus)),
                ("amount", amountJSON),
                ("final_capture", true),
                ("invoice_id", .optional(unit.invoiceID)),
                ("custom_id", .optional(unit.customID)),
                ("create_time", .string(now)),
            ]
            if let processorCode {
                capture.append(("processor_response", .object([("response_code", .string(processorCode))])))
            }
            capture.append(("supplementary_data", .object([("related_ids", .object([("order_id", .string(orderID))]))])))
            storage.announcePayPalCapture(status: captureStatus, capture: JSONValue.object(capture).bytes)
            let body = Self.order(
                orderID, status: "COMPLETED", source: (sourceKind, vaultID), created: now,
                (
                    "purchase_units",
                    .array([
                        .object([
                            ("reference_id", .string(unit.referenceID ?? "default")),
                            ("invoice_id", .optional(unit.invoiceID)),
                            ("custom_id", .optional(unit.customID)),
                            ("description", .optional(unit.description)),
                            ("amount", amountJSON),
                            ("payments", .object([("captures", .array([.object(capture)]))])),
                        ])
                    ])
                ))
            storage.orders[orderID] = body
            storage.payPalTransactions.append(
                PayPalTransaction(
                    id: captureID, orderID: orderID, invoiceID: unit.invoiceID, customID: unit.customID, currency: currency,
                    value: unit.amount.value, status: processorCode == nil ? (pending ? "P" : "S") : "D",
                    // Whole seconds, as PayPal reports them, so that a search ending now includes it.
                    time: Date(timeIntervalSince1970: Date().timeIntervalSince1970.rounded(.down))
                )
            )
            response = .json(201, body, requestID: requestID, extraHeaders: [SandboxHeaders.payPalDebugID: requestID])
        }
        storage.recordCharge(
            LedgerEntry(
                provider: "paypal", idempotencyKey: key, count: 1, amount: amount, currency: currency.lowercased(),
                customer: unit.customID ?? "", paymentMethod: vaultID, status: status, declineCode: declineCode,
                reference: reference, metadata: metadata, replays: 0, createdAt: Int64(Date().timeIntervalSince1970)
            ),
            scope: key.map { IdempotencyScope(provider: "paypal", key: $0) }
        )
        return .init(response: response, save: true, requestID: requestID)
    }

    /// An order as PayPal answers it: its id, status, payment source and creation time, with `detail`
    /// (its purchase units, or the payer's link) in between.
    static func order(
        _ id: String, status: String, source: (kind: String, vaultID: String), created: String, _ detail: (String, JSONValue)
    ) -> [UInt8] {
        JSONValue.object([
            ("id", .string(id)),
            ("intent", "CAPTURE"),
            ("status", .string(status)),
            ("payment_source", .object([(source.kind, .object([("vault_id", .string(source.vaultID))]))])),
            detail,
            ("create_time", .string(created)),
        ]).bytes
    }

    /// `key=value; key=value` → a dictionary (how the project's PayPal client writes metadata).
    static func metadata(fromDescription description: String?) -> [String: String] {
        var result: [String: String] = [:]
        for part in (description ?? "").split(separator: ";") {
            let pair = part.split(separator: "=", maxSplits: 1)
            if pair.count == 2 {
                result[pair[0].trimmingCharacters(in: .whitespaces)] = pair[1].trimmingCharacters(in: .whitespaces)
            }
        }
        return result
    }

    /// The body with object keys sorted, so that equal requests compare equal.
    static func canonical(_ bytes: [UInt8]) -> String {
        guard let object = try? JSONSerialization.jsonObject(with: Data(bytes)),
            let data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
        else { return String(decoding: bytes, as: UTF8.self) }
        return String(decoding: data, as: UTF8.self)
    }

    /// `Basic base64(id:secret)` → the pair.
    static func basicCredentials(_ header: String?) -> (id: String, secret: String)? {
        guard let header, header.hasPrefix("Basic "),
            let data = Data(base64Encoded: String(header.dropFirst(6)).trimmingCharacters(in: .whitespaces))
        else { return nil }
        let text = String(decoding: data, as: UTF8.self)
        guard let colon = text.firstIndex(of: ":") else { return nil }
        return (String(text[..<colon]), String(text[text.index(after: colon)...]))
    }
}
