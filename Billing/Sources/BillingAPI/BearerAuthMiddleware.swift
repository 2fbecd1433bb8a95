import HTTPTypes
import OpenAPIRuntime

/// Lets an operation run only with `Authorization: Bearer <token>` whose scope allows it: reads
/// need `read`, changes `write` (``APIScope`` includes the lower scopes). 401 without a known
/// token, 403 with a token of too low a scope. Tokens never reach a log or an answer.
struct BearerAuthMiddleware: ServerMiddleware {
    let tokens: APITokens

    /// The scope each operation needs.
    static func requiredScope(of operationID: String) -> APIScope {
        switch operationID {
        case "getSubscription", "listSubscriptions": .read
        default: .write
        }
    }

    func intercept(
        _ request: HTTPRequest, body: HTTPBody?, metadata: ServerRequestMetadata, operationID: String,
        next: @Sendable (HTTPRequest, HTTPBody?, ServerRequestMetadata) async throws -> (HTTPResponse, HTTPBody?)
    ) async throws -> (HTTPResponse, HTTPBody?) {
        guard !tokens.isEmpty else {
            throw APIProblem.unauthorized(
                "the subscriptions API is disabled: start the node with BILLING_API_TOKENS (or BILLING_ADMIN_TOKEN) set")
        }
        let header = request.headerFields[.authorization] ?? ""
        guard header.hasPrefix("Bearer "), let scope = tokens.scope(of: String(header.dropFirst(7))) else {
            throw APIProblem.unauthorized("this API needs 'Authorization: Bearer <token>' with a token from BILLING_API_TOKENS")
        }
        let needed = Self.requiredScope(of: operationID)
        guard scope >= needed else {
            throw APIProblem.forbidden("this operation needs a token with the '\(needed.rawValue)' scope; this one has '\(scope.rawValue)'")
        }
        return try await next(request, body, metadata)
    }
}
