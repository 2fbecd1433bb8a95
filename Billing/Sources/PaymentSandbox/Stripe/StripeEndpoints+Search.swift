import Hummingbird

extension StripeEndpoints {
    /// `GET /v1/payment_intents/search?query=...&limit=...&page=...`: Stripe's search, over every
    /// PaymentIntent the sandbox made (newest first), whether or not its key is still
    /// remembered. Answers a `search_result` list; a query outside ``StripeSearchQuery`` is a 400
    /// `invalid_request_error`. Unlike Stripe, results are current at once (no indexing delay).
    func search(_ request: Request, context: SandboxRequestContext) async throws -> Response {
        if let refusal = authenticate(request) { return refusal.response() }
        let form = FormBody(Array((request.uri.query ?? "").utf8))
        return try await pipeline.run(request, context: context, dialect: dialect, idempotency: nil) { storage, requestID in
            func invalid(_ message: String, param: String) -> SandboxState.Processed {
                .init(
                    response: StripeDialect.error(
                        400, type: "invalid_request_error", code: "parameter_invalid", message: message, param: param, requestID: requestID),
                    save: false, requestID: requestID
                )
            }
            guard let text = form["query"] else { return invalid("Missing required param: query.", param: "query") }
            let query: StripeSearchQuery
            do throws(StripeSearchQuery.Unsupported) {
                query = try StripeSearchQuery(parsing: text)
            } catch {
                return invalid("Invalid search query: \(error.message)", param: "query")
            }
            let limit = form["limit"].map { Int($0) } ?? 10
            guard let limit, (1...100).contains(limit) else {
                return invalid("Invalid integer: limit must be between 1 and 100.", param: "limit")
            }
            // The sandbox's page cursor is the offset of the page's first result.
            let offset = form["page"].map { Int($0.dropFirst("sandbox_page_".count)) } ?? 0
            guard let offset, offset >= 0, form["page"].map({ $0.hasPrefix("sandbox_page_") }) ?? true else {
                return invalid("Invalid page: use the next_page of an earlier answer.", param: "page")
            }
            let found = storage.paymentIntentOrder.reversed().compactMap { storage.paymentIntents[$0] }.filter(query.matches)
            let page = found.dropFirst(offset).prefix(limit)
            let hasMore = offset + page.count < found.count
            let body = JSONValue.object([
                ("object", "search_result"),
                ("data", .array(page.map(\.json))),
                ("has_more", .bool(hasMore)),
                ("next_page", hasMore ? .string("sandbox_page_\(offset + page.count)") : .null),
                ("url", "/v1/payment_intents/search"),
            ])
            return .init(response: .json(200, body.bytes, requestID: requestID), save: false, requestID: requestID)
        }
    }
}
