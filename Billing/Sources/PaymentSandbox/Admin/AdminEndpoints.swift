import Foundation
import Hummingbird

/// The `/sandbox/...` endpoints: ledger, statistics, fault rates, clock, reset. No
/// authentication: keep the sandbox on loopback.
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

    /// `GET /sandbox/stats`: the counters, and `clock_offset_seconds` (how far the sandbox clock
    /// runs ahead).
    func statistics(_ request: Request, context: SandboxRequestContext) async throws -> Response {
        struct Body: Encodable {
            var statistics: SandboxStatistics
            var clockOffsetSeconds: Double

            enum CodingKeys: String, CodingKey {
                case clockOffsetSeconds = "clock_offset_seconds"
            }

            // One flat object: the counters' own keys, then the offset.
            func encode(to encoder: any Encoder) throws {
                try statistics.encode(to: encoder)
                var container = encoder.container(keyedBy: CodingKeys.self)
                try container.encode(clockOffsetSeconds, forKey: .clockOffsetSeconds)
            }
        }
        return try Self.json(Body(statistics: server.statistics(), clockOffsetSeconds: server.clockOffset.seconds))
    }

    /// `GET /sandbox/clock`: `{"offset_seconds", "stripe_key_retention_seconds", "paypal_request_id_retention_seconds"}`.
    func clock(_ request: Request, context: SandboxRequestContext) async throws -> Response {
        try Self.json(clockState)
    }

    /// `POST /sandbox/clock/advance` with `{"seconds": N}` (N ≥ 0): moves the sandbox clock
    /// forward, forgets the keys whose retention has passed, and answers like `GET /sandbox/clock`.
    func advanceClock(_ request: Request, context: SandboxRequestContext) async throws -> Response {
        struct Advance: Decodable {
            var seconds: Double
        }
        let body = try await request.body.collect(upTo: 64 * 1024)
        guard let advance = try? JSONDecoder().decode(Advance.self, from: Data(body.readableBytesView)),
            advance.seconds.isFinite, advance.seconds >= 0, advance.seconds < 1e12
        else {
            return Self.problem(400, "the body must be {\"seconds\": N} with N a number of seconds, 0 or more")
        }
        try server.advanceClock(by: .milliseconds(Int64((advance.seconds * 1000).rounded())))
        return try Self.json(clockState)
    }

    /// What the clock endpoints answer.
    private var clockState: some Encodable {
        struct ClockState: Encodable {
            var offsetSeconds: Double
            var stripeKeyRetentionSeconds: Double
            var payPalRequestIDRetentionSeconds: Double

            enum CodingKeys: String, CodingKey {
                case offsetSeconds = "offset_seconds"
                case stripeKeyRetentionSeconds = "stripe_key_retention_seconds"
                case payPalRequestIDRetentionSeconds = "paypal_request_id_retention_seconds"
            }
        }
        return ClockState(
            offsetSeconds: server.clockOffset.seconds,
            stripeKeyRetentionSeconds: server.configuration.idempotencyKeyRetention.seconds,
            payPalRequestIDRetentionSeconds: server.configuration.payPalRequestIDRetention.seconds
        )
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

    /// `POST /sandbox/reset`: forget keys, objects, tokens, ledger and counters, zero the clock
    /// offset; keep the fault rates.
    func reset(_ request: Request, context: SandboxRequestContext) async throws -> Response {
        server.reset()
        return Self.problem(200, "reset")
    }

    /// `GET /sandbox/webhooks`: `{"settings": {...}, "statistics": {...}}` (the secret is not shown).
    func webhooks(_ request: Request, context: SandboxRequestContext) async throws -> Response {
        struct Body: Encodable {
            var endpoints: [String]
            var faults: WebhookFaults
            var statistics: WebhookStatistics
        }
        let settings = server.webhooks.settings
        return try Self.json(Body(endpoints: settings.endpoints, faults: settings.faults, statistics: server.webhookStatistics))
    }

    /// `PUT /sandbox/webhooks` with ``WebhookSettings`` as JSON (`endpoints`, `secret`, `faults`).
    func setWebhooks(_ request: Request, context: SandboxRequestContext) async throws -> Response {
        let body = try await request.body.collect(upTo: 64 * 1024)
        do {
            let settings = try JSONDecoder().decode(WebhookSettings.self, from: Data(body.readableBytesView))
            try server.configureWebhooks(settings)
            return Self.problem(200, "webhooks go to \(settings.endpoints.count) endpoint(s)")
        } catch let error as PaymentSandboxError {
            return Self.problem(400, error.message)
        } catch {
            return Self.problem(
                400,
                "the body is not webhook settings as JSON (\(error)): {\"endpoints\": [...], \"secret\": \"whsec_...\", \"faults\": {...}}")
        }
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
