import Hummingbird

/// What a sandbox completion asks for (the customer's authentication, the bank's settlement):
/// `outcome=succeeded` (the default) or `outcome=failed`, as a query or form parameter.
enum CompletionOutcome {
    /// An `outcome` other than the two; `message` says so, for a 400.
    struct Invalid: Error {
        let message: String
    }

    /// Whether the completion succeeds, read from `request` (its body included).
    static func read(_ request: Request) async throws -> Result<Bool, Invalid> {
        let body = try await request.body.collect(upTo: 64 * 1024)
        let outcome = request.uri.queryParameters.get("outcome") ?? FormBody(body.readableBytesView)["outcome"] ?? "succeeded"
        guard outcome == "succeeded" || outcome == "failed" else {
            return .failure(Invalid(message: "outcome must be 'succeeded' or 'failed', not '\(outcome)'"))
        }
        return .success(outcome == "succeeded")
    }
}
