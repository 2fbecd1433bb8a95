import HTTPTypes
import Logging
import OpenAPIRuntime

/// Answers every error of an operation as `application/problem+json`: the handlers'
/// ``APIProblem``s as they are; requests the generated code could not read (bad JSON, a wrong
/// content type, a missing parameter) with the runtime's 4xx status; anything else with 500,
/// logged, without its details.
struct ProblemMiddleware: ServerMiddleware {
    let logger: Logger

    func intercept(
        _ request: HTTPRequest, body: HTTPBody?, metadata: ServerRequestMetadata, operationID: String,
        next: @Sendable (HTTPRequest, HTTPBody?, ServerRequestMetadata) async throws -> (HTTPResponse, HTTPBody?)
    ) async throws -> (HTTPResponse, HTTPBody?) {
        do {
            return try await next(request, body, metadata)
        } catch {
            let problem = Self.problem(for: error, operationID: operationID, logger: logger)
            return (HTTPResponse(status: problem.httpStatus, headerFields: problem.httpHeaderFields), problem.httpBody)
        }
    }

    static func problem(for error: any Error, operationID: String, logger: Logger) -> APIProblem {
        var underlying: any Error = error
        if let server = error as? ServerError {
            underlying = server.underlyingError
            if let problem = underlying as? APIProblem { return problem }
            if (400..<500).contains(server.httpStatus.code) {
                return APIProblem(status: server.httpStatus, title: "Invalid request", detail: Self.readable(server))
            }
        }
        if let problem = underlying as? APIProblem { return problem }
        logger.error("the subscriptions API failed", metadata: ["operation": "\(operationID)", "error": "\(error)"])
        return APIProblem(status: .internalServerError, title: "Internal error", detail: "the request failed on the server; it was logged")
    }

    /// What was wrong with a request the generated code refused, in a line.
    private static func readable(_ error: ServerError) -> String {
        if let decoding = error.underlyingError as? DecodingError {
            switch decoding {
            case .dataCorrupted(let context), .keyNotFound(_, let context), .typeMismatch(_, let context), .valueNotFound(_, let context):
                let path = context.codingPath.map(\.stringValue).joined(separator: ".")
                return "the request body is not valid\(path.isEmpty ? "" : " at \(path)"): \(context.debugDescription)"
            @unknown default:
                break
            }
        }
        return "\(error.causeDescription): \(error.underlyingError)"
    }
}
