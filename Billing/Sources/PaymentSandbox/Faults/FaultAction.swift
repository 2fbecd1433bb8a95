/// What the sandbox does instead of (or after) answering one request normally.
public enum FaultAction: Sendable, Hashable, CustomStringConvertible {
    /// Answer HTTP 500 before the idempotency layer: nothing is applied or saved, so a retry with
    /// the same key is processed afresh. (`Stripe-Should-Retry: true` is set.)
    case serverError
    /// Apply the request and save its answer under the key, then close the connection without
    /// answering: the client cannot know the charge happened; a retry gets the saved answer.
    case lost
    /// Hold the connection without answering (the key stays in flight, so a retry gets 409) for
    /// `duration`, or the configured hang time; then release the key unapplied and close the connection.
    case hang(Duration?)
    /// Apply the request and save its answer, but send this client HTTP 200 with a body that is
    /// not JSON (a mangling proxy): a retry with the same key gets the saved answer.
    case garbage
    /// Hold the request (the key in flight, so a retry gets 409) for `duration`, or the configured
    /// late time, longer than a client waits; then apply it and save its answer, and close the
    /// connection without answering: a charge its client gave up on lands afterwards.
    case late(Duration?)
    /// Answer HTTP 429 with `Retry-After` (whole seconds, rounded up) before the idempotency layer.
    case rateLimited(retryAfter: Duration?)

    /// The action in the header syntax.
    public var description: String {
        switch self {
        case .serverError: "500"
        case .lost: "lost"
        case .hang(let duration): duration.map { "hang=\($0)" } ?? "hang"
        case .garbage: "garbage"
        case .late(let duration): duration.map { "late=\($0)" } ?? "late"
        case .rateLimited(let retryAfter): retryAfter.map { "429=\($0)" } ?? "429"
        }
    }
}
