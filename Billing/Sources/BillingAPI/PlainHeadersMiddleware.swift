import Foundation
import HTTPTypes
import OpenAPIRuntime

/// Undoes the URI encoding that the generated code applies to every header value it writes
/// (OpenAPI's `simple` style): `ETag: "3"` went out as `%223%22`, and `Location` with its slashes
/// encoded, which no HTTP client reads back. The values this API sets are plain ASCII.
struct PlainHeadersMiddleware: ServerMiddleware {
    func intercept(
        _ request: HTTPRequest, body: HTTPBody?, metadata: ServerRequestMetadata, operationID: String,
        next: @Sendable (HTTPRequest, HTTPBody?, ServerRequestMetadata) async throws -> (HTTPResponse, HTTPBody?)
    ) async throws -> (HTTPResponse, HTTPBody?) {
        var (response, responseBody) = try await next(request, body, metadata)
        for name in [HTTPField.Name.eTag, .location] {
            if let value = response.headerFields[name], let plain = value.removingPercentEncoding { response.headerFields[name] = plain }
        }
        return (response, responseBody)
    }
}
