import Foundation
import Hummingbird

/// `POST /v1/payment_intents`, `GET /v1/payment_intents/{id}` and (in `StripeEndpoints+Search.swift`)
/// `GET /v1/payment_intents/search`.
struct StripeEndpoints: Sendable {
    let pipeline: SandboxPipeline
    /// Sends the webhook events a request made, once it is answered.
    let webhooks: WebhookDispatcher
    /// Accepted secret keys; `nil` accepts any non-empty key.
    let apiKeys: Set<String>?
    let dialect = StripeDialect()

    /// Creates (and with `confirm=true`, charges) a PaymentIntent.
    func create(_ request: Request, context: SandboxRequestContext) async throws -> Response {
        let body = try await request.body.collect(upTo: context.maxUploadSize)
        if let refusal = authenticate(request) { return refusal.response() }
        let form = FormBody(body.readableBytesView)
        let key = request.headers[SandboxHeaders.idempotencyKey].flatMap { $0.isEmpty ? nil : $0 }
        if let key, key.utf8.count > 255 {
            return dialect.badRequest("Idempotency-Key must be at most 255 characters.", param: nil, requestID: SandboxIDs.make("req_"))
                .response()
        }
        let idempotency = key.map {
            SandboxPipeline.Idempotency(
                scope: IdempotencyScope(provider: "stripe", key: $0),
                fingerprint: "POST /v1/payment_intents?" + form.fingerprint
            )
        }
        let response = try await pipeline.run(request, context: context, dialect: dialect, idempotency: idempotency) { storage, requestID in
            Self.apply(form, key: key, requestID: requestID, storage: &storage)
        }
        webhooks.flush(pipeline.state)
        return response
    }

    /// Answers a PaymentIntent by id.
    func retrieve(_ request: Request, context: SandboxRequestContext) async throws -> Response {
        if let refusal = authenticate(request) { return refusal.response() }
        let id = context.parameters.get("id") ?? ""
        return try await pipeline.run(request, context: context, dialect: dialect, idempotency: nil) { storage, requestID in
            guard let intent = storage.paymentIntents[id] else {
                return .init(
                    response: StripeDialect.error(
                        404, type: "invalid_request_error", code: "resource_missing",
                        message: "No such payment_intent: '\(id)'", param: "intent", requestID: requestID
                    ),
                    save: false, requestID: requestID
                )
            }
            return .init(response: .json(200, intent.json.bytes, requestID: requestID), save: false, requestID: requestID)
        }
    }

    /// A 401 answer when the request has no acceptable `Authorization: Bearer` key.
    func authenticate(_ request: Request) -> SavedResponse? {
        let header = request.headers[.authorization] ?? ""
        let key: String? =
            if header.hasPrefix("Bearer ") {
                String(header.dropFirst(7)).trimmingCharacters(in: .whitespaces)
            } else if header.hasPrefix("Basic "),
                let decoded = Data(base64Encoded: String(header.dropFirst(6))).map({ String(decoding: $0, as: UTF8.self) })
            { String(decoded.prefix { $0 != ":" }) } else { nil }
        if let key, !key.isEmpty, apiKeys?.contains(key) ?? true { return nil }
        let message =
            key == nil || key?.isEmpty == true
            ? "You did not provide an API key. You need to provide your API key in the Authorization header, using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY')."
            : "Invalid API Key provided: \(String(key!.prefix(8)))****"
        return StripeDialect.error(401, type: "invalid_request_error", message: message, requestID: SandboxIDs.make("req_", length: 14))
    }

    /// Validates and applies one create request; runs under the state lock.
    static func apply(_ form: FormBody, key: String?, requestID: String, storage: inout SandboxStorage) -> SandboxState.Processed {
        func invalid(_ message: String, param: String) -> SandboxState.Processed {
            .init(
                response: StripeDialect.error(
                    400, type: "invalid_request_error", code: "parameter_invalid_integer", message: message, param: param,
                    requestID: requestID),
                save: false, requestID: requestID
            )
        }
        guard let amountText = form["amount"] else { return invalid("Missing required param: amount.", param: "amount") }
        guard let amount = Int64(amountText), amount > 0 else {
            return invalid("Invalid positive integer: amount must be a positive number of minor units.", param: "amount")
        }
        guard let currency = form["currency"]?.lowercased(), currency.count == 3, currency.allSatisfy({ $0.isASCII && $0.isLetter }) else {
            return invalid("Missing or invalid param: currency must be a three-letter ISO code.", param: "currency")
        }
        let paymentMethod = form["payment_method"].flatMap { $0.isEmpty ? nil : $0 }
        let confirm = form["confirm"] == "true"
        if confirm && paymentMethod == nil {
            return invalid("You cannot confirm this PaymentIntent because it's missing a payment method.", param: "payment_method")
        }
        var intent = StripePaymentIntent(
            id: SandboxIDs.make("pi_"), amount: amount, currency: currency,
            customer: form["customer"].flatMap { $0.isEmpty ? nil : $0 }, paymentMethod: paymentMethod,
            status: paymentMethod == nil ? "requires_payment_method" : "requires_confirmation",
            created: Int64(Date().timeIntervalSince1970), latestCharge: nil, lastPaymentError: nil,
            metadata: form.dictionary("metadata"), offSession: form["off_session"] == "true"
        )
        guard confirm, let paymentMethod else {
            storage.store(intent)
            return .init(response: .json(200, intent.json.bytes, requestID: requestID), save: true, requestID: requestID)
        }
        let scenario = TestScenario(paymentMethod: paymentMethod)
        intent.latestCharge = SandboxIDs.make("ch_")
        let response: SavedResponse
        if scenario == .authenticationRequired && !intent.offSession {
            // On-session, the bank's challenge is the next action (Stripe: `requires_action`).
            intent.status = "requires_action"
            response = .json(200, intent.json.bytes, requestID: requestID)
        } else if let failure = scenario.stripeError {
            intent.status = "requires_payment_method"
            intent.lastPaymentError = failure
            response = StripeDialect.error(
                402, type: "card_error", code: failure.code, message: failure.message, requestID: requestID,
                extra: [
                    ("decline_code", .optional(failure.declineCode)),
                    ("charge", .optional(intent.latestCharge)),
                    ("payment_intent", intent.json),
                    ("payment_method", .object([("id", .string(paymentMethod)), ("object", "payment_method")])),
                    ("doc_url", .string("https://stripe.com/docs/error-codes/" + failure.code.replacingOccurrences(of: "_", with: "-"))),
                ]
            )
        } else if scenario == .processing {
            // A bank debit: accepted, settled days later (here: by /sandbox/payment_intents/{id}/settle).
            intent.status = "processing"
            response = .json(200, intent.json.bytes, requestID: requestID)
        } else {
            intent.status = "succeeded"
            response = .json(200, intent.json.bytes, requestID: requestID)
        }
        storage.store(intent)
        storage.announce(intent)
        storage.recordCharge(
            LedgerEntry(
                provider: "stripe", idempotencyKey: key, count: 1, amount: amount, currency: currency,
                customer: intent.customer ?? "", paymentMethod: paymentMethod,
                status: Self.ledgerStatus(of: intent),
                declineCode: scenario.stripeError.map { $0.declineCode ?? $0.code }, reference: intent.id,
                metadata: intent.metadata, replays: 0, createdAt: intent.created
            ),
            scope: key.map { IdempotencyScope(provider: "stripe", key: $0) }
        )
        return .init(response: response, save: true, requestID: requestID)
    }

    /// The ledger's word for where an intent stands: `succeeded`, `processing`,
    /// `requires_action` (waiting for its customer), or `declined`.
    static func ledgerStatus(of intent: StripePaymentIntent) -> String {
        switch intent.status {
        case "succeeded", "processing": intent.status
        case "requires_action": "requires_action"
        case _ where intent.lastPaymentError?.code == "authentication_required": "requires_action"
        default: "declined"
        }
    }
}
