import HTTPTypes
import Hummingbird

/// An answer as the idempotency layer keeps it: replayed byte for byte to every retry.
struct SavedResponse: Sendable {
    /// The HTTP status code.
    var status: Int
    /// The headers (without `Date`, which the server adds).
    var headers: HTTPFields
    /// The body.
    var body: [UInt8]

    /// A JSON answer.
    static func json(_ status: Int, _ body: [UInt8], requestID: String, extraHeaders: HTTPFields = [:]) -> SavedResponse {
        var headers: HTTPFields = [.contentType: "application/json", SandboxHeaders.requestID: requestID]
        headers.append(contentsOf: extraHeaders)
        return SavedResponse(status: status, headers: headers, body: body)
    }

    /// The Hummingbird response, optionally marked as a replay.
    func response(replayed: Bool = false) -> Response {
        var headers = self.headers
        if replayed { headers[SandboxHeaders.idempotentReplayed] = "true" }
        return Response(
            status: HTTPResponse.Status(code: status),
            headers: headers,
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: body))
        )
    }
}
