import Foundation
import HTTPTypes
import OpenAPIRuntime

/// An API error answered as `application/problem+json` (RFC 9457) with a 4xx or 503 status:
/// thrown by the handlers, turned into the response by ``ProblemMiddleware``.
struct APIProblem: Error, HTTPResponseConvertible {
    let status: HTTPResponse.Status
    let title: String
    let detail: String
    var headers: HTTPFields = [:]

    var httpStatus: HTTPResponse.Status { status }
    var httpHeaderFields: HTTPFields {
        var fields = headers
        fields[.contentType] = "application/problem+json"
        return fields
    }
    var httpBody: HTTPBody? { HTTPBody(body) }

    /// The JSON body: `type` is a stable name for the kind of problem.
    var body: Data {
        let problem: [String: any Sendable] = [
            "type": "urn:billing:problem:\(title.lowercased().replacingOccurrences(of: " ", with: "-"))",
            "title": title, "status": Int(status.code), "detail": detail,
        ]
        return (try? JSONSerialization.data(withJSONObject: problem, options: [.sortedKeys])) ?? Data()
    }

    static func badRequest(_ detail: String) -> APIProblem { APIProblem(status: .badRequest, title: "Invalid request", detail: detail) }
    static func unauthorized(_ detail: String) -> APIProblem {
        APIProblem(status: .unauthorized, title: "Unauthorized", detail: detail, headers: [.wwwAuthenticate: "Bearer"])
    }
    static func forbidden(_ detail: String) -> APIProblem { APIProblem(status: .forbidden, title: "Forbidden", detail: detail) }
    static func notFound(_ detail: String) -> APIProblem { APIProblem(status: .notFound, title: "Not found", detail: detail) }
    static func conflict(_ detail: String) -> APIProblem { APIProblem(status: .conflict, title: "Conflict", detail: detail) }
    static func preconditionFailed(_ detail: String) -> APIProblem {
        APIProblem(status: .preconditionFailed, title: "Precondition failed", detail: detail)
    }
    static func unprocessable(_ detail: String) -> APIProblem {
        APIProblem(status: .unprocessableContent, title: "Idempotency key reused", detail: detail)
    }
    static func preconditionRequired(_ detail: String) -> APIProblem {
        APIProblem(status: .init(code: 428, reasonPhrase: "Precondition Required"), title: "Precondition required", detail: detail)
    }
    static func unavailable(_ detail: String) -> APIProblem {
        APIProblem(status: .serviceUnavailable, title: "Database unavailable", detail: detail, headers: [.retryAfter: "1"])
    }
}
