import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix

/// Sends one HTTP request to a provider and says, when it fails, whether the request can have
/// reached the provider.
///
/// The distinction matters for exactly-once charging: a request that provably never left this
/// process (no connection could be made) is safe to call "not charged"; anything else that fails
/// after a connection existed (timeout, connection closed, a cut-off body) is "unknown".
struct ProviderTransport: Sendable {
    /// A complete response.
    struct Response: Sendable {
        /// The HTTP status code.
        var status: Int
        /// The response headers.
        var headers: HTTPHeaders
        /// The whole body.
        var body: [UInt8]

        /// The first value of a header, case-insensitively.
        func header(_ name: String) -> String? { headers.first(name: name) }

        /// The body as text for messages: at most `limit` characters, control characters escaped.
        func bodySnippet(limit: Int = 200) -> String {
            ProviderTransport.snippet(of: body, limit: limit)
        }
    }

    /// What became of a request.
    enum Result: Sendable {
        /// The provider answered.
        case response(Response)
        /// No connection was made: the provider never saw the request.
        case notSent(String)
        /// The request may have reached the provider, but no complete answer came back.
        case lost(String)
    }

    let client: HTTPClient
    let timeout: Duration
    let maximumResponseBytes: Int

    /// Sends `request` with the configured deadline and collects the whole body.
    ///
    /// Throws ``PaymentError`` (``PaymentError/Code/invalidConfiguration``) only when the request
    /// cannot be built from the configured URL; every network fault is a ``Result``.
    func send(_ request: HTTPClientRequest, logger: Logger) async throws -> Result {
        let deadline = NIODeadline.now() + TimeAmount.nanoseconds(Self.nanoseconds(of: timeout))
        let response: HTTPClientResponse
        do {
            response = try await client.execute(request, deadline: deadline, logger: logger)
        } catch {
            return try Self.classify(error, url: request.url, timeout: timeout)
        }
        let status = Int(response.status.code)
        do {
            let buffer = try await response.body.collect(upTo: maximumResponseBytes)
            return .response(Response(status: status, headers: response.headers, body: Array(buffer.readableBytesView)))
        } catch is NIOTooManyBytesError {
            return .lost("the provider answered HTTP \(status) with a body larger than \(maximumResponseBytes) bytes, which was not read")
        } catch {
            return .lost("the connection failed while reading the provider's HTTP \(status) answer (\(error))")
        }
    }

    /// Sorts a failure of `execute` into "never sent", "maybe sent", or a configuration error.
    static func classify(_ error: any Error, url: String, timeout: Duration) throws -> Result {
        if let error = error as? HTTPClientError {
            if error == .invalidURL || error == .emptyHost || error == .emptyScheme
                || String(describing: error).contains("unsupportedScheme")
            {
                throw PaymentError(
                    code: .invalidConfiguration,
                    message: "the provider URL \(url) is not a usable http(s) URL: check the configured base URL",
                    cause: error
                )
            }
            switch error {
            case .connectTimeout, .getConnectionFromPoolTimeout, .alreadyShutdown,
                .tlsHandshakeTimeout, .httpProxyHandshakeTimeout, .socksHandshakeTimeout,
                .proxyAuthenticationRequired, .invalidProxyResponse:
                return .notSent("no connection to \(url) could be made (\(error))")
            case .deadlineExceeded, .readTimeout:
                return .lost("no answer from \(url) within \(timeout) (\(error))")
            case .remoteConnectionClosed:
                return .lost("the provider closed the connection before answering (\(error))")
            default:
                return .lost("the request to \(url) failed after it may have been sent (\(error))")
            }
        }
        if error is NIOConnectionError {
            return .notSent("no connection to \(url) could be made (\(error))")
        }
        if let error = error as? ChannelError, case .connectTimeout = error {
            return .notSent("connecting to \(url) timed out (\(error))")
        }
        if let error = error as? IOError, [ECONNREFUSED, ENETUNREACH, EHOSTUNREACH].contains(error.errnoCode) {
            return .notSent("no connection to \(url) could be made (\(error))")
        }
        if error is CancellationError {
            return .lost("the request to \(url) was cancelled after it may have been sent")
        }
        return .lost("the request to \(url) failed after it may have been sent (\(error))")
    }

    /// A duration in whole nanoseconds, saturating.
    static func nanoseconds(of duration: Duration) -> Int64 {
        let (seconds, attoseconds) = duration.components
        let (product, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        if overflow { return seconds < 0 ? .min : .max }
        return product.addingReportingOverflow(attoseconds / 1_000_000_000).overflow ? .max : product + attoseconds / 1_000_000_000
    }

    /// The start of a body as printable text.
    static func snippet(of body: [UInt8], limit: Int) -> String {
        if body.isEmpty { return "an empty body" }
        let text = String(decoding: body.prefix(limit), as: UTF8.self)
        var escaped = ""
        for scalar in text.unicodeScalars {
            if scalar.value < 0x20 || scalar.value == 0x7F {
                escaped += scalar == "\n" ? "\\n" : "\\u{\(String(scalar.value, radix: 16))}"
            } else {
                escaped.unicodeScalars.append(scalar)
            }
        }
        return "\"" + escaped + (body.count > limit ? "…\" (\(body.count) bytes)" : "\"")
    }
}
