import HTTPTypes

/// PayPal's wording of the pipeline's answers: `{"name", "message", "debug_id", "details": [...]}`.
struct PayPalDialect: ProviderDialect {
    var provider: String { "paypal" }

    /// A PayPal error answer.
    static func error(
        _ status: Int, name: String, message: String, issue: String? = nil, description: String? = nil,
        requestID: String, headers: HTTPFields = [:]
    ) -> SavedResponse {
        var members: [(String, JSONValue)] = [
            ("name", .string(name)), ("message", .string(message)), ("debug_id", .string(requestID)),
        ]
        if let issue {
            members.append(("details", .array([.object([("issue", .string(issue)), ("description", .string(description ?? message))])])))
        }
        var extra = headers
        extra[SandboxHeaders.payPalDebugID] = requestID
        return .json(status, JSONValue.object(members).bytes, requestID: requestID, extraHeaders: extra)
    }

    func serverError(requestID: String) -> SavedResponse {
        Self.error(
            500, name: "INTERNAL_SERVER_ERROR",
            message: "An internal server error occurred (injected by the sandbox before the request was applied).", requestID: requestID)
    }

    func rateLimited(retryAfter: Duration, requestID: String) -> SavedResponse {
        let seconds = Int64((retryAfter.milliseconds / 1000).rounded(.up))
        return Self.error(
            429, name: "RATE_LIMIT_REACHED", message: "Too many requests. Blocked due to rate limiting.",
            requestID: requestID, headers: [.retryAfter: String(seconds)]
        )
    }

    func idempotencyConflict(key: String, requestID: String) -> SavedResponse {
        Self.error(
            422, name: "UNPROCESSABLE_ENTITY",
            message: "The requested action could not be performed, semantically incorrect, or failed business validation.",
            issue: "PAYPAL_REQUEST_ID_PREVIOUSLY_USED",
            description: "The PayPal-Request-Id \(key) has already been used for another request with a different payload.",
            requestID: requestID
        )
    }

    func inFlight(key: String, requestID: String) -> SavedResponse {
        Self.error(
            409, name: "RESOURCE_CONFLICT", message: "A previous request with this PayPal-Request-Id is still being processed.",
            issue: "PREVIOUS_REQUEST_IN_PROGRESS",
            description: "A previous request with PayPal-Request-Id \(key) is in progress. Retry later.",
            requestID: requestID
        )
    }

    func badRequest(_ message: String, param: String?, requestID: String) -> SavedResponse {
        Self.error(
            400, name: "INVALID_REQUEST", message: message, issue: param == nil ? nil : "INVALID_PARAMETER_VALUE",
            description: param.map { "\(message) (\($0))" }, requestID: requestID)
    }
}
