import Foundation
import Hummingbird

/// What happens after a charge has answered, outside the merchant's API: the customer
/// authenticates a payment (`POST /sandbox/payment_intents/{id}/authenticate`) or the bank settles
/// a debit (`POST /sandbox/payment_intents/{id}/settle`). Each takes `outcome=succeeded` (the
/// default) or `outcome=failed`, as a query or form parameter, and answers the PaymentIntent.
struct StripeCustomerEndpoints: Sendable {
    let server: PaymentSandboxServer

    /// The customer authenticates (or fails to authenticate) an intent that waits for them.
    func authenticate(_ request: Request, context: SandboxRequestContext) async throws -> Response {
        try await complete(request, context: context, step: .authentication)
    }

    /// The bank settles (or returns) a debit that is processing.
    func settle(_ request: Request, context: SandboxRequestContext) async throws -> Response {
        try await complete(request, context: context, step: .settlement)
    }

    private func complete(
        _ request: Request, context: SandboxRequestContext, step: PaymentSandboxServer.CompletionStep
    ) async throws
        -> Response
    {
        let succeeded: Bool
        switch try await CompletionOutcome.read(request) {
        case .success(let outcome): succeeded = outcome
        case .failure(let invalid):
            return StripeDialect.error(
                400, type: "invalid_request_error", code: "parameter_invalid", message: invalid.message, param: "outcome",
                requestID: SandboxIDs.make("req_")
            ).response()
        }
        let id = context.parameters.get("id") ?? ""
        do {
            let intent = try server.complete(paymentIntent: id, step: step, succeeded: succeeded)
            return SavedResponse.json(200, intent, requestID: SandboxIDs.make("req_")).response()
        } catch {
            let status = error.code == .notFound ? 404 : 400
            return StripeDialect.error(
                status, type: "invalid_request_error", code: status == 404 ? "resource_missing" : "payment_intent_unexpected_state",
                message: error.message, param: "intent", requestID: SandboxIDs.make("req_")
            ).response()
        }
    }
}

extension PaymentSandboxServer {
    /// What completes a PaymentIntent after its charge answered.
    public enum CompletionStep: Sendable {
        /// The customer's authentication of an intent that requires it (strong customer authentication).
        case authentication
        /// The bank's settlement of a debit that is processing.
        case settlement
    }

    /// Completes a Stripe PaymentIntent as its customer or bank would: `succeeded` takes the money,
    /// otherwise the intent fails (`requires_payment_method` with a payment error). Updates the
    /// ledger entry of the intent. Returns the intent's JSON.
    /// - Throws: ``PaymentSandboxError`` when there is no such intent (`notFound`) or it is not
    ///   waiting for that step (`invalidRequest`).
    @discardableResult
    public func complete(paymentIntent id: String, step: CompletionStep, succeeded: Bool) throws(PaymentSandboxError) -> [UInt8] {
        let result: Result<[UInt8], PaymentSandboxError> = state.withStorage { storage in
            guard var intent = storage.paymentIntents[id] else {
                return .failure(PaymentSandboxError(code: .notFound, message: "No such payment_intent: '\(id)'"))
            }
            let waiting: Bool
            let failure: (code: String, declineCode: String?, message: String)
            switch step {
            case .authentication:
                waiting = StripeEndpoints.ledgerStatus(of: intent) == "requires_action"
                failure = (
                    "payment_intent_authentication_failure", nil,
                    "The provided PaymentMethod has failed authentication. You can provide payment_method_data or a new PaymentMethod to attempt to fulfill this PaymentIntent again."
                )
            case .settlement:
                waiting = intent.status == "processing"
                failure = (
                    "insufficient_funds", "insufficient_funds", "The customer's account has insufficient funds to cover this payment."
                )
            }
            guard waiting else {
                return .failure(
                    PaymentSandboxError(
                        code: .invalidRequest,
                        message:
                            "PaymentIntent \(id) is \(intent.status) and does not wait for \(step == .authentication ? "authentication" : "settlement")"
                    ))
            }
            intent.status = succeeded ? "succeeded" : "requires_payment_method"
            intent.lastPaymentError = succeeded ? nil : failure
            storage.store(intent)
            storage.announce(intent)
            if let index = storage.ledger.firstIndex(where: { $0.provider == "stripe" && $0.reference == id }) {
                storage.ledger[index].status = succeeded ? "succeeded" : "declined"
                storage.ledger[index].declineCode = succeeded ? nil : (failure.declineCode ?? failure.code)
            }
            return .success(intent.json.bytes)
        }
        webhooks.flush(state)
        return try result.get()
    }
}
