import AsyncHTTPClient
import Foundation
import NIOCore
import Testing

@testable import Payments

/// "Not sent" must mean only that the connection could not be set up: a request handed to a
/// connection may have been applied, whatever error ends it.
@Suite("ProviderTransport.classify: not sent only before the request reached a connection")
struct TransportClassificationTests {
    /// Errors that end a request that never got a connection, and errors of live connections.
    static let connectionErrors: [any Error] = [
        HTTPClientError.connectTimeout,
        HTTPClientError.getConnectionFromPoolTimeout,
        HTTPClientError.alreadyShutdown,
        HTTPClientError.tlsHandshakeTimeout,
        HTTPClientError.remoteConnectionClosed,
        ChannelError.connectTimeout(.seconds(1)),
        IOError(errnoCode: ECONNREFUSED, reason: "connect"),
        // What an established connection reports when its retransmissions give up after an ICMP error.
        IOError(errnoCode: EHOSTUNREACH, reason: "connection reset (error set)"),
        IOError(errnoCode: ECONNRESET, reason: "read(descriptor:pointer:size:)"),
    ]

    private func classify(_ error: any Error, sent: Bool) throws -> ProviderTransport.Result {
        try ProviderTransport.classify(error, requestHeadSent: sent, url: "http://provider.test/v1/x", timeout: .seconds(30))
    }

    @Test("before the request head was written: not sent", arguments: 0..<TransportClassificationTests.connectionErrors.count)
    func beforeTheHead(index: Int) throws {
        let error = Self.connectionErrors[index]
        guard case .notSent = try classify(error, sent: false) else {
            Issue.record("\(error) before the head must be notSent")
            return
        }
    }

    @Test(
        "after the request head was written: lost, whatever the error", arguments: 0..<TransportClassificationTests.connectionErrors.count)
    func afterTheHead(index: Int) throws {
        let error = Self.connectionErrors[index]
        guard case .lost = try classify(error, sent: true) else {
            Issue.record("\(error) after the head must be lost")
            return
        }
    }

    @Test("a deadline, a read timeout or a cancellation is lost even with no head seen: it can overtake the notice")
    func taskSideErrors() throws {
        let errors: [any Error] = [
            HTTPClientError.deadlineExceeded, HTTPClientError.readTimeout, HTTPClientError.cancelled, CancellationError(),
        ]
        for error in errors {
            guard case .lost = try classify(error, sent: false) else {
                Issue.record("\(error) must be lost")
                continue
            }
        }
    }

    @Test("an unusable URL is a configuration error, thrown")
    func badURL() throws {
        for error in [HTTPClientError.invalidURL, .emptyHost, .emptyScheme] {
            #expect(throws: PaymentError.self) { try classify(error, sent: false) }
        }
        do {
            _ = try classify(HTTPClientError.unsupportedScheme("ftp"), sent: false)
            Issue.record("an unsupported scheme must throw")
        } catch let error as PaymentError {
            #expect(error.code == .invalidConfiguration)
        }
    }

    @Test("end to end: a refused connection is not sent (retryable); a dropped answer is lost (unknown)")
    func endToEnd() async throws {
        let refused = try await stripeClient("http://127.0.0.1:1", timeout: .seconds(2)).charge(engineCharge())
        guard case .retryable = refused else {
            Issue.record("expected retryable, got \(refused)")
            return
        }
        try await withSandbox { _, url in
            let lost = try await stripeClient(url, fault: "lost").charge(engineCharge())
            guard case .unknown = lost else {
                Issue.record("expected unknown, got \(lost)")
                return
            }
        }
    }
}
