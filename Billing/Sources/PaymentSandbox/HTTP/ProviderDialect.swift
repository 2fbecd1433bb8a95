/// How one provider words the answers the sandbox's common pipeline gives.
protocol ProviderDialect: Sendable {
    /// `stripe` or `paypal`: the namespace of its idempotency keys and the ledger's provider name.
    var provider: String { get }
    /// An injected 500.
    func serverError(requestID: String) -> SavedResponse
    /// An injected 429.
    func rateLimited(retryAfter: Duration, requestID: String) -> SavedResponse
    /// The key was used with other parameters.
    func idempotencyConflict(key: String, requestID: String) -> SavedResponse
    /// The key is in flight.
    func inFlight(key: String, requestID: String) -> SavedResponse
    /// The request itself is unusable (a bad `Sandbox-Fault` header, a body that does not parse).
    func badRequest(_ message: String, param: String?, requestID: String) -> SavedResponse
}
