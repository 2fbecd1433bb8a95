import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import PaymentSandbox
import Payments

/// A logger that drops everything (tests print their own figures).
let quietLogger = Logger(label: "payments-tests", factory: { _ in SwiftLogNoOpLogHandler() })

/// Runs `body` against a sandbox started in-process on a free loopback port, then stops it.
func withSandbox<T: Sendable>(
    _ configuration: PaymentSandboxServer.Configuration = .init(),
    _ body: (PaymentSandboxServer, String) async throws -> T
) async throws -> T {
    let server = try PaymentSandboxServer(configuration: configuration, logger: quietLogger)
    return try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask { try await server.run() }
        defer { group.cancelAll() }
        let url = try await server.baseURL()
        return try await body(server, url)
    }
}

/// A Stripe client for the sandbox at `url`, sending `fault` as `Sandbox-Fault` when given.
func stripeClient(
    _ url: String, fault: String? = nil, timeout: Duration = .seconds(10), httpClient: HTTPClient = .shared
) throws -> StripeClient {
    try StripeClient(
        configuration: .init(
            apiKey: APISecret("sk_test_sandbox"),
            baseURL: url,
            requestTimeout: timeout,
            additionalHeaders: fault.map { ["Sandbox-Fault": $0] } ?? [:]
        ),
        httpClient: httpClient,
        logger: quietLogger
    )
}

/// A PayPal client for the sandbox at `url`.
func payPalClient(_ url: String, fault: String? = nil, timeout: Duration = .seconds(10)) throws -> PayPalClient {
    try PayPalClient(
        configuration: .init(
            clientID: "sandbox-client",
            clientSecret: APISecret("sandbox-secret"),
            baseURL: url,
            requestTimeout: timeout,
            additionalHeaders: fault.map { ["Sandbox-Fault": $0] } ?? [:]
        ),
        logger: quietLogger
    )
}

/// A charge request for tests.
func charge(
    key: String = "renewal:\(UUID().uuidString):2026-01-01",
    amount: Int64 = 1999,
    currency: String = "USD",
    paymentMethod: String = "pm_card_visa"
) -> ChargeRequest {
    ChargeRequest(
        idempotencyKey: key, amountMinor: amount, currency: currency, customer: "cus_test",
        paymentMethod: paymentMethod, metadata: ["subscription_id": "sub_1", "period_start": "2026-01-01"]
    )
}

/// An HTTP answer as a test reads it.
struct RawResponse: Sendable {
    var status: Int
    var headers: [String: String]
    var body: String

    /// The body decoded as a JSON object.
    var json: [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(body.utf8))) as? [String: Any] ?? [:]
    }
}

/// Sends one raw request (to check what the sandbox itself says).
func send(
    _ method: String, _ url: String, headers: [String: String] = [:], body: String? = nil
) async throws -> RawResponse {
    var request = HTTPClientRequest(url: url)
    request.method = .init(rawValue: method)
    for (name, value) in headers { request.headers.add(name: name, value: value) }
    if let body { request.body = .bytes(ByteBuffer(string: body)) }
    let response = try await HTTPClient.shared.execute(request, timeout: .seconds(10))
    let bytes = try await response.body.collect(upTo: 1 << 22)
    var fields: [String: String] = [:]
    for header in response.headers { fields[header.name.lowercased()] = header.value }
    return RawResponse(status: Int(response.status.code), headers: fields, body: String(buffer: bytes))
}

/// The standard Stripe create body for raw requests.
func stripeForm(amount: Int = 1999, paymentMethod: String = "pm_card_visa") -> String {
    "amount=\(amount)&currency=usd&customer=cus_raw&payment_method=\(paymentMethod)&confirm=true&off_session=true&metadata%5Bsubscription_id%5D=sub_raw"
}

/// Headers of a raw Stripe create request.
func stripeHeaders(key: String?, fault: String? = nil) -> [String: String] {
    var headers = ["Authorization": "Bearer sk_test_raw", "Content-Type": "application/x-www-form-urlencoded"]
    if let key { headers["Idempotency-Key"] = key }
    if let fault { headers["Sandbox-Fault"] = fault }
    return headers
}

/// A charge request as the renewal engine sends it: its metadata carries `idempotency_key`,
/// `subscription_id`, `period_start` (now, by default, so a PayPal lookup searches one window)
/// and `attempt`.
func engineCharge(
    key: String = "renewal:\(UUID().uuidString):2026-01-01",
    amount: Int64 = 1999,
    currency: String = "USD",
    paymentMethod: String = "pm_card_visa",
    periodStart: String = Date().formatted(.iso8601)
) -> ChargeRequest {
    ChargeRequest(
        idempotencyKey: key, amountMinor: amount, currency: currency, customer: "cus_test", paymentMethod: paymentMethod,
        metadata: ["idempotency_key": key, "subscription_id": "sub_1", "period_start": periodStart, "attempt": "1"]
    )
}

/// Moves the sandbox clock forward through its admin endpoint, as an operator or a test harness would.
func advanceSandboxClock(_ url: String, by duration: Duration) async throws {
    let seconds = Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    let answer = try await send("POST", url + "/sandbox/clock/advance", body: #"{"seconds": \#(seconds)}"#)
    guard answer.status == 200 else {
        throw PaymentError("the sandbox refused to advance its clock: HTTP \(answer.status) \(answer.body)")
    }
}

extension ChargeLookupResult {
    /// The message of an ambiguous result, for checks.
    var ambiguity: String? {
        if case .ambiguous(let message) = self { return message }
        return nil
    }

    /// Whether the provider could not be asked.
    var isUnavailable: Bool {
        if case .unavailable = self { return true }
        return false
    }
}

/// Runs `python3` with `arguments` and returns its exit status and output (stdout and stderr).
/// The scripts print a few lines, far less than a pipe holds, so reading after the exit cannot
/// deadlock; polling (not waitUntilExit) keeps the calling task off a blocked thread.
func runPython(_ arguments: [String]) async throws -> (status: Int32, output: String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["python3"] + arguments
    let output = Pipe()
    process.standardOutput = output
    process.standardError = output
    try process.run()
    while process.isRunning { try await Task.sleep(for: .milliseconds(20)) }
    return (process.terminationStatus, String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self))
}

/// Whether `python3` can import Stripe's official library.
let stripePythonInstalled: Bool = {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["python3", "-c", "import stripe"]
    process.standardOutput = FileHandle.nullDevice
    process.standardError = FileHandle.nullDevice
    guard (try? process.run()) != nil else { return false }
    process.waitUntilExit()
    return process.terminationStatus == 0
}()
