import AsyncHTTPClient
import Logging
import NIOCore
import NIOHTTP1

/// Sends one HTTP request to a provider and says, when it fails, whether the request can have
/// reached the provider.
///
/// The distinction matters for exactly-once charging: only a request that provably never left
/// this process is "not sent" (the connection could not be set up: refused, connect or TLS
/// handshake timeout, no pooled connection in time, client shut down). Any failure after the
/// request was handed to a connection (timeout, connection closed or reset, a cut-off body) is
/// "lost": the provider may have applied it.
///
/// "Handed to a connection" is observed, not guessed from the error: the transport uses
/// AsyncHTTPClient's delegate API, whose `didSendRequestHead` fires as soon as the request head is
/// written to a connection (see ``ResponseCollector``). An error's type alone cannot tell: the
/// same `ECONNREFUSED` or `EHOSTUNREACH` that a failed connect reports is also what an established
/// connection reports when its retransmissions give up after an ICMP error.
struct ProviderTransport: Sendable {
    /// One request to send.
    struct Request: Sendable {
        /// The HTTP method.
        var method: HTTPMethod
        /// The absolute URL.
        var url: String
        /// The request headers.
        var headers: HTTPHeaders = [:]
        /// The body, if any.
        var body: [UInt8]?
    }

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
        /// No connection was set up: the provider never saw the request.
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
    func send(_ request: Request, logger: Logger) async throws -> Result {
        let http: HTTPClient.Request
        do {
            http = try HTTPClient.Request(
                url: request.url, method: request.method, headers: request.headers,
                body: request.body.map { .bytes($0) }
            )
        } catch {
            return try Self.classify(error, requestHeadSent: false, url: request.url, timeout: timeout)
        }
        let deadline = NIODeadline.now() + TimeAmount.nanoseconds(Self.nanoseconds(of: timeout))
        let collector = ResponseCollector(maximumBytes: maximumResponseBytes)
        let task = client.execute(request: http, delegate: collector, eventLoop: .indifferent, deadline: deadline, logger: logger)
        do {
            let response = try await withTaskCancellationHandler {
                try await task.futureResult.get()
            } onCancel: {
                task.cancel()
            }
            return .response(response)
        } catch {
            let progress = collector.progress
            if let status = progress.status {
                if error is ResponseCollector.TooLarge {
                    return .lost(
                        "the provider answered HTTP \(status) with a body larger than \(maximumResponseBytes) bytes, which was not read")
                }
                return .lost("the connection failed while reading the provider's HTTP \(status) answer (\(error))")
            }
            return try Self.classify(error, requestHeadSent: progress.requestHeadSent, url: request.url, timeout: timeout)
        }
    }

    /// Sorts a failure that came before any answer into "never sent", "maybe sent", or a
    /// configuration error.
    ///
    /// `requestHeadSent` says whether the request head was handed to a connection. Before that,
    /// nothing can have reached the provider, whatever the error. Three errors are "maybe sent"
    /// even then: a deadline, AsyncHTTPClient's `cancelled` and Swift's `CancellationError` are
    /// raised on the task's side and can overtake the notice that the connection has just
    /// written the head.
    static func classify(_ error: any Error, requestHeadSent: Bool, url: String, timeout: Duration) throws -> Result {
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
            case .deadlineExceeded, .readTimeout:
                return .lost("no answer from \(url) within \(timeout) (\(error))")
            case .cancelled:
                return .lost("the request to \(url) was cancelled after it may have been sent (\(error))")
            case .remoteConnectionClosed where requestHeadSent:
                return .lost("the provider closed the connection before answering (\(error))")
            default:
                break
            }
        }
        if error is CancellationError {
            return .lost("the request to \(url) was cancelled after it may have been sent")
        }
        guard requestHeadSent else {
            // Connection set-up failures: refused or unreachable (NIOConnectionError, IOError),
            // connect, TLS or proxy handshake timeouts, no pooled connection in time, and a client
            // already shut down (AsyncHTTPClient raises `alreadyShutdown` only for requests it has
            // not queued yet; requests it was running when it shut down fail as `cancelled`).
            return .notSent("no connection to \(url) could be made (\(error))")
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
