import Foundation
import Hummingbird

/// The `/sandbox/...` endpoints: ledger, statistics, fault rates, reset. No authentication: keep
/// the sandbox on loopback.
struct AdminEndpoints: Sendable {
    let server: PaymentSandboxServer

    /// `GET /sandbox/ledger`: `{"summary": {...}, "entries": [...]}`; `?key=` narrows to one key.
    func ledger(_ request: Request, context: SandboxRequestContext) async throws -> Response {
        var entries = server.ledger()
        if let key = request.uri.queryParameters.get("key") {
            entries = entries.filter { $0.idempotencyKey == key }
        }
        struct Body: Encodable {
            var summary: LedgerSummary
            var entries: [LedgerEntry]
        }
        return try Self.json(Body(summary: LedgerSummary(entries: entries), entries: entries))
    }

    /// `GET /sandbox/stats`.
    func statistics(_ request: Request, context: SandboxRequestContext) async throws -> Response {
        try Self.json(server.statistics())
    }

    /// `GET /sandbox/faults`.
    func faults(_ request: Request, context: SandboxRequestContext) async throws -> Response {
        try Self.json(server.faultRates)
    }

    /// `PUT /sandbox/faults` (or POST) with a ``FaultRates`` JSON body.
    func setFaults(_ request: Request, context: SandboxRequestContext) async throws -> Response {
        let body = try await request.body.collect(upTo: 64 * 1024)
        do {
            let rates = try JSONDecoder().decode(FaultRates.self, from: Data(body.readableBytesView))
            try server.setFaultRates(rates)
            return try Self.json(rates)
        } catch let error as PaymentSandboxError {
            return Self.problem(400, error.message)
        } catch {
            return Self.problem(400, "the body is not fault rates as JSON (\(error)); see FaultRates")
        }
    }

    /// `POST /sandbox/reset`: forget keys, objects, tokens, ledger and counters; keep the fault rates.
    func reset(_ request: Request, context: SandboxRequestContext) async throws -> Response {
        server.reset()
        return Self.problem(200, "reset")
    }

    /// `GET /sandbox/health`.
    func health(_ request: Request, context: SandboxRequestContext) async throws -> Response {
        Self.problem(200, "ok")
    }

    private static func json(_ value: some Encodable) throws -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let data = try encoder.encode(value)
        return Response(status: .ok, headers: [.contentType: "application/json"], body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
    }

    private static func problem(_ status: Int, _ message: String) -> Response {
        let key = status < 300 ? "status" : "error"
        return Response(
            status: HTTPResponse.Status(code: status),
            headers: [.contentType: "application/json"],
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: JSONValue.object([(key, .string(message))]).bytes))
        )
    }
}
