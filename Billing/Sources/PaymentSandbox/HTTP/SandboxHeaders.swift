import HTTPTypes

/// The header names the sandbox reads and writes.
enum SandboxHeaders {
    static let idempotencyKey = HTTPField.Name("Idempotency-Key")!
    static let idempotentReplayed = HTTPField.Name("Idempotent-Replayed")!
    static let originalRequest = HTTPField.Name("Original-Request")!
    static let requestID = HTTPField.Name("Request-Id")!
    static let stripeShouldRetry = HTTPField.Name("Stripe-Should-Retry")!
    static let payPalRequestID = HTTPField.Name("PayPal-Request-Id")!
    static let payPalDebugID = HTTPField.Name("PayPal-Debug-Id")!
    static let sandboxFault = HTTPField.Name("Sandbox-Fault")!
    static let sandboxFaultApplied = HTTPField.Name("Sandbox-Fault-Applied")!
}
