import HTTPTypes

/// Stripe's wording of the pipeline's answers: `{"error": {"type", "code", "message", ...}}`.
struct StripeDialect: ProviderDialect {
    var provider: String { "stripe" }

    /// A Stripe error answer.
    static func error(
        _ status: Int, type: String, code: String? = nil, message: String, param: String? = nil,
        requestID: String, extra: [(String, JSONValue)] = [], headers: HTTPFields = [:]
    ) -> SavedResponse {
        var members: [(String, JSONValue)] = [("type", .string(type))]
        if let code { members.append(("code", .string(code))) }
        members.append(("message", .string(message)))
        if let param { members.append(("param", .string(param))) }
        members.append(("request_log_url", .string("https://dashboard.stripe.com/test/logs/" + requestID)))
        members += extra
        return .json(status, JSONValue.object([("error", .object(members))]).bytes, requestID: requestID, extraHeaders: headers)
    }

    func serverError(requestID: String) -> SavedResponse {
        Self.error(
            500, type: "api_error",
            message: "An unexpected error occurred (injected by the sandbox before the request was applied).",
            requestID: requestID, headers: [SandboxHeaders.stripeShouldRetry: "true"]
        )
    }

    func rateLimited(retryAfter: Duration, requestID: String) -> SavedResponse {
        let seconds = Int64((retryAfter.milliseconds / 1000).rounded(.up))
        return Self.error(
            429, type: "invalid_request_error", code: "rate_limit",
            message: "Too many requests hit the API too quickly. Please retry with exponential backoff.",
            requestID: requestID, headers: [.retryAfter: String(seconds), SandboxHeaders.stripeShouldRetry: "true"]
        )
    }

    func idempotencyConflict(key: String, requestID: String) -> SavedResponse {
        Self.error(
            400, type: "idempotency_error",
            message:
                "Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than '\(key)' if you meant to execute a different request.",
            requestID: requestID
        )
    }

    func inFlight(key: String, requestID: String) -> SavedResponse {
        Self.error(
            409, type: "idempotency_error", code: "idempotency_key_in_use",
            message:
                "There is currently another in-progress request using this Idempotent Key (that probably means you submitted twice, and the other request is still going through): \(key). Please try again later.",
            requestID: requestID, headers: [SandboxHeaders.stripeShouldRetry: "true"]
        )
    }

    func badRequest(_ message: String, param: String?, requestID: String) -> SavedResponse {
        Self.error(
            400, type: "invalid_request_error", code: param == nil ? nil : "parameter_invalid", message: message, param: param,
            requestID: requestID)
    }
}
