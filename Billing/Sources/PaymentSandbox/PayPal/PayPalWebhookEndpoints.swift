import Foundation
import Hummingbird

/// `POST /v1/notifications/verify-webhook-signature` (PayPal's check of a delivery's signature,
/// for receivers) and `POST /sandbox/paypal/captures/{id}/settle` (the bank settles a capture that
/// is `PENDING`: `outcome=succeeded` or `failed`, then PayPal's webhook goes out).
struct PayPalWebhookEndpoints: Sendable {
    let payPal: PayPalEndpoints
    let webhooks: WebhookDispatcher
    let state: SandboxState

    /// Answers `{"verification_status": "SUCCESS"}` when the transmission's signature is this
    /// sandbox's for the event and webhook id given, `FAILURE` otherwise; 400 for a malformed request.
    func verify(_ request: Request, context: SandboxRequestContext) async throws -> Response {
        let body = try await request.body.collect(upTo: context.maxUploadSize)
        if let refusal = payPal.authenticate(request) { return refusal.response() }
        let requestID = SandboxIDs.make("req_", length: 14)
        struct Verification: Decodable {
            var authAlgo: String
            var certURL: String
            var transmissionID: String
            var transmissionSig: String
            var transmissionTime: String
            var webhookID: String
            enum CodingKeys: String, CodingKey {
                case authAlgo = "auth_algo"
                case certURL = "cert_url"
                case transmissionID = "transmission_id"
                case transmissionSig = "transmission_sig"
                case transmissionTime = "transmission_time"
                case webhookID = "webhook_id"
            }
        }
        let bytes = Data(body.readableBytesView)
        guard let fields = try? JSONDecoder().decode(Verification.self, from: bytes),
            let object = try? JSONSerialization.jsonObject(with: bytes) as? [String: Any], let event = object["webhook_event"],
            let eventBytes = try? JSONSerialization.data(withJSONObject: event)
        else {
            return payPal.dialect.badRequest(
                "Request is not well-formed: auth_algo, cert_url, transmission_id, transmission_sig, transmission_time, webhook_id and webhook_event are required.",
                param: "body", requestID: requestID
            ).response()
        }
        let verified =
            fields.authAlgo == PayPalWebhookSignature.algorithm
            && webhooks.payPalSignature.verify(
                event: Array(eventBytes), transmissionID: fields.transmissionID, time: fields.transmissionTime, webhookID: fields.webhookID,
                signature: fields.transmissionSig)
        return SavedResponse.json(
            200, JSONValue.object([("verification_status", .string(verified ? "SUCCESS" : "FAILURE"))]).bytes, requestID: requestID
        ).response()
    }

    /// The bank settles (or denies) a pending capture.
    func settle(_ request: Request, context: SandboxRequestContext) async throws -> Response {
        let id = context.parameters.get("id") ?? ""
        let requestID = SandboxIDs.make("req_", length: 14)
        let succeeded: Bool
        switch try await CompletionOutcome.read(request) {
        case .success(let outcome): succeeded = outcome
        case .failure(let invalid): return payPal.dialect.badRequest(invalid.message, param: "outcome", requestID: requestID).response()
        }
        let settled: JSONValue? = state.withStorage { storage in
            guard let index = storage.payPalTransactions.firstIndex(where: { $0.id == id && $0.status == "P" }) else { return nil }
            storage.payPalTransactions[index].status = succeeded ? "S" : "D"
            let transaction = storage.payPalTransactions[index]
            if let entry = storage.ledger.firstIndex(where: { $0.provider == "paypal" && $0.reference == id }) {
                storage.ledger[entry].status = succeeded ? "succeeded" : "declined"
                storage.ledger[entry].declineCode = succeeded ? nil : "DENIED"
            }
            let capture = JSONValue.object([
                ("id", .string(id)), ("status", .string(succeeded ? "COMPLETED" : "DENIED")),
                ("amount", .object([("currency_code", .string(transaction.currency)), ("value", .string(transaction.value))])),
                ("invoice_id", .optional(transaction.invoiceID)), ("custom_id", .optional(transaction.customID)),
                ("supplementary_data", .object([("related_ids", .object([("order_id", .string(transaction.orderID))]))])),
            ])
            storage.announcePayPalCapture(status: succeeded ? "COMPLETED" : "DENIED", capture: capture.bytes)
            return capture
        }
        webhooks.flush(state)
        guard let settled else {
            return PayPalDialect.error(
                404, name: "RESOURCE_NOT_FOUND", message: "No pending capture \(id).", issue: "INVALID_RESOURCE_ID",
                description: "Specified resource ID does not exist or is not pending.", requestID: requestID
            ).response()
        }
        return SavedResponse.json(200, settled.bytes, requestID: requestID).response()
    }
}
