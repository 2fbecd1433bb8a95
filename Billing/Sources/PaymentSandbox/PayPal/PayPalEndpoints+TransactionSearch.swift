import Foundation
import Hummingbird

extension PayPalEndpoints {
    /// `GET /v1/reporting/transactions`: PayPal's Transaction Search over the captures the
    /// sandbox made, whether or not their request ids are still remembered.
    ///
    /// Reads `start_date` and `end_date` (required, RFC 3339, at most 31 days apart),
    /// `transaction_id`, `transaction_currency`, `transaction_status`,
    /// `balance_affecting_records_only` (`Y`, the default, leaves out denied captures),
    /// `page_size` (1...500, default 100) and `page`. Answers `transaction_details` with each
    /// capture's `transaction_info` (`invoice_id`, `custom_field`, amount, status `S` or `D`) and
    /// the paging totals. Unlike PayPal, captures are listed at once (no reporting delay), and a
    /// refused order (HTTP 422) leaves no transaction, as at PayPal.
    func searchTransactions(_ request: Request, context: SandboxRequestContext) async throws -> Response {
        if let refusal = authenticate(request) { return refusal.response() }
        let form = FormBody(Array((request.uri.query ?? "").utf8))
        return try await pipeline.run(request, context: context, dialect: dialect, idempotency: nil) { storage, requestID in
            func invalid(_ field: String, _ issue: String) -> SandboxState.Processed {
                .init(
                    response: PayPalDialect.error(
                        400, name: "INVALID_REQUEST", message: "Request is not well-formed, syntactically incorrect, or violates schema.",
                        issue: "INVALID_PARAMETER_VALUE", description: "\(field): \(issue)", requestID: requestID
                    ),
                    save: false, requestID: requestID
                )
            }
            guard let start = form["start_date"].flatMap(Self.parseDate) else {
                return invalid("start_date", "required, as an RFC 3339 date and time such as 2026-01-01T00:00:00Z")
            }
            guard let end = form["end_date"].flatMap(Self.parseDate) else {
                return invalid("end_date", "required, as an RFC 3339 date and time such as 2026-01-31T00:00:00Z")
            }
            guard start <= end, end.timeIntervalSince(start) <= 31 * 86_400 else {
                return invalid("end_date", "must not be before start_date, and the range must not exceed 31 days")
            }
            let pageSize = form["page_size"].map { Int($0) } ?? 100
            guard let pageSize, (1...500).contains(pageSize) else { return invalid("page_size", "must be between 1 and 500") }
            let page = form["page"].map { Int($0) } ?? 1
            guard let page, page >= 1 else { return invalid("page", "must be 1 or more") }
            let balanceOnly = (form["balance_affecting_records_only"] ?? "Y").uppercased() != "N"

            let listed = storage.payPalTransactions.filter { transaction in
                transaction.time >= start && transaction.time <= end
                    && (!balanceOnly || transaction.affectsBalance)
                    && form["transaction_id"].map { $0 == transaction.id } ?? true
                    && form["transaction_currency"].map { $0.uppercased() == transaction.currency } ?? true
                    && form["transaction_status"].map { $0 == transaction.status } ?? true
            }
            let shown = listed.dropFirst((page - 1) * pageSize).prefix(pageSize)
            let formatter = ISO8601DateFormatter()
            formatter.formatOptions = [.withInternetDateTime]
            let body = JSONValue.object([
                ("transaction_details", .array(shown.map(\.json))),
                ("account_number", "SANDBOXMERCHANT"),
                ("start_date", .string(formatter.string(from: start))),
                ("end_date", .string(formatter.string(from: end))),
                ("last_refreshed_datetime", .string(formatter.string(from: Date()))),
                ("page", .int(Int64(page))),
                ("total_items", .int(Int64(listed.count))),
                ("total_pages", .int(Int64((listed.count + pageSize - 1) / pageSize))),
                ("links", .array([])),
            ])
            return .init(response: .json(200, body.bytes, requestID: requestID), save: false, requestID: requestID)
        }
    }

    /// An RFC 3339 date and time (`Z` or an offset, with or without fractional seconds), or the
    /// `-0700` offset form PayPal's examples use.
    static func parseDate(_ text: String) -> Date? {
        let attempts: [ISO8601DateFormatter.Options] = [
            [.withInternetDateTime],
            [.withInternetDateTime, .withFractionalSeconds],
            [.withFullDate, .withTime, .withDashSeparatorInDate, .withColonSeparatorInTime, .withTimeZone],
        ]
        for options in attempts {
            let formatter = ISO8601DateFormatter()
            formatter.formatOptions = options
            if let date = formatter.date(from: text) { return date }
        }
        return nil
    }
}
