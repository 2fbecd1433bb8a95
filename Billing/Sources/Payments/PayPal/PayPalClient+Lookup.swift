import Foundation
import Logging

extension PayPalClient {
    /// The most pages of 500 transactions read per search window before giving up (to an operator).
    static let maximumSearchPages = 40
    /// The longest date range one Transaction Search request may span (PayPal allows 31 days).
    static let searchWindow: TimeInterval = 30 * 86_400
    /// How far before `period_start` the search begins: a renewal is charged once its period
    /// has started; a day covers clock and time-zone slop.
    static let searchLeadTime: TimeInterval = 86_400
    /// How far back Transaction Search reaches (three years).
    static let searchReach: TimeInterval = 3 * 365 * 86_400

    /// Finds the capture that `request` made, by its idempotency key, with PayPal's Transaction
    /// Search API: `GET /v1/reporting/transactions` over the dates from a day before the
    /// request's `metadata["period_start"]` until now, in windows of at most 30 days, matching
    /// `transaction_info.invoice_id` (which ``charge(_:)`` sets to the key).
    ///
    /// Why this API: Orders v2 can read an order or a capture only by PayPal's own id, and has no
    /// query by `invoice_id`, `custom_id` or `PayPal-Request-Id`; Transaction Search is PayPal's
    /// documented way to find payments by date, and it reports each one's `invoice_id` and
    /// `custom_field`. It has no filter by invoice id, so the client reads every transaction of
    /// the request's currency in the range (`balance_affecting_records_only=N`, so denied
    /// captures are listed too) and matches here.
    ///
    /// | found | result |
    /// |---|---|
    /// | no positive transaction with the key as invoice id | ``ChargeLookupResult/notFound`` |
    /// | one, status `S` | ``ChargeLookupResult/found(_:)`` with ``ChargeOutcome/succeeded(reference:)`` (the capture id) |
    /// | one, status `D` (denied) | found, ``ChargeOutcome/declined(code:declineCode:message:hard:reference:)`` (soft: the search gives no reason) |
    /// | one, status `P` (pending) | found, ``ChargeOutcome/processing(reference:)`` |
    /// | one, status `V` (reversed) or another status; or its amount, currency or `custom_field` differ | ``ChargeLookupResult/ambiguous(_:)`` |
    /// | several (the key was forgotten and charged again) | ``ChargeLookupResult/ambiguous(_:)`` naming their ids |
    /// | none, but a transaction without invoice id for the same customer and amount | ``ChargeLookupResult/ambiguous(_:)``: possibly sent before invoice ids were set |
    /// | not reached, answer lost, no token, 429, 5xx, an answer that is not a transaction list | ``ChargeLookupResult/unavailable(_:)`` |
    /// | 401 with fresh credentials / 403 | throws ``PaymentError`` (``PaymentError/Code/authenticationFailed`` / ``PaymentError/Code/permissionDenied``) |
    /// | other 4xx | throws ``PaymentError`` (``PaymentError/Code/invalidRequest``) |
    ///
    /// Not guaranteed: PayPal lists a transaction up to 3 hours after it happened, so a charge
    /// made less than 3 hours before can be missing (see ``Configuration/idempotencyKeyRetention``
    /// for why that is still safe); a refused order (HTTP 422) leaves no transaction, so it is
    /// ``ChargeLookupResult/notFound``, which is true as far as money goes. The REST app needs the
    /// Transaction Search permission. Throws ``PaymentError`` with
    /// ``PaymentError/Code/lookupUnsupported`` when `metadata["period_start"]` is missing or not
    /// an ISO 8601 date, or lies more than three years back: without it, no date range can be
    /// known to contain the charge.
    public func lookUpCharge(_ request: ChargeRequest) async throws -> ChargeLookupResult {
        try Self.validate(request)
        let windows = try Self.searchWindows(for: request, now: Date())
        var logger = self.logger
        logger[metadataKey: "idempotency-key"] = "\(request.idempotencyKey)"
        var transactions: [PayPalWire.TransactionInfo] = []
        for window in windows {
            var page = 1
            while true {
                guard page <= Self.maximumSearchPages else {
                    return .ambiguous(
                        "PayPal lists more than \(Self.maximumSearchPages * 500) \(request.currency.uppercased()) transactions between \(window.start) and \(window.end): too many to search for \(request.idempotencyKey); settle it by hand"
                    )
                }
                let url = configuration.baseURL + "/v1/reporting/transactions?" + Self.searchQuery(for: request, window: window, page: page)
                let answer = try await sendAuthorized(logger: logger) { token in
                    ProviderTransport.Request(method: .GET, url: url, headers: headers(token: token))
                }
                let list: PayPalWire.TransactionPage
                switch answer {
                case .noToken(let reason):
                    return .unavailable("no PayPal access token: \(reason)")
                case .sent(.notSent(let reason)):
                    return .unavailable("PayPal was not reached: \(reason)")
                case .sent(.lost(let reason)):
                    return .unavailable("PayPal's answer to the transaction search was lost: \(reason)")
                case .sent(.response(let response)):
                    switch try Self.transactionPage(status: response.status, body: response.body) {
                    case .success(let answered): list = answered
                    case .failure(let unavailable): return .unavailable(unavailable.message)
                    }
                }
                transactions += list.transactionDetails.map(\.transactionInfo)
                if page >= (list.totalPages ?? 1) { break }
                page += 1
            }
        }
        let result = Self.lookupResult(for: request, transactions: transactions)
        logger.debug("PayPal charge lookup", metadata: ["result": "\(result)", "transactions": "\(transactions.count)"])
        return result
    }

    /// A date range of one search request.
    struct SearchWindow: Sendable, Equatable {
        var start: Date
        var end: Date
    }

    /// A search answer that says nothing yet; ask again later.
    struct SearchUnavailable: Error {
        var message: String
    }

    /// The windows of at most ``searchWindow`` that cover a day before `period_start` until `now`.
    static func searchWindows(for request: ChargeRequest, now: Date) throws -> [SearchWindow] {
        guard let text = request.metadata["period_start"], let periodStart = parseDate(text) else {
            throw PaymentError(
                code: .lookupUnsupported,
                message:
                    "the charge request for \(request.idempotencyKey) carries no ISO 8601 metadata[\"period_start\"], so no date range can be searched for it; settle it by hand"
            )
        }
        let start = min(periodStart.addingTimeInterval(-searchLeadTime), now.addingTimeInterval(-searchLeadTime))
        guard now.timeIntervalSince(start) <= searchReach else {
            throw PaymentError(
                code: .lookupUnsupported,
                message:
                    "the charge for \(request.idempotencyKey) (period start \(text)) is older than the three years Transaction Search reaches; settle it by hand"
            )
        }
        var windows: [SearchWindow] = []
        var from = start
        while from < now {
            let to = min(from.addingTimeInterval(searchWindow), now)
            windows.append(SearchWindow(start: from, end: to))
            from = to
        }
        return windows
    }

    /// `2026-01-01T00:00:00Z`, `2026-01-01T00:00:00.250Z`, `2026-01-01T00:00:00+02:00` or `2026-01-01` (midnight UTC).
    static func parseDate(_ text: String) -> Date? {
        for options: ISO8601DateFormatter.Options in [
            [.withInternetDateTime], [.withInternetDateTime, .withFractionalSeconds], [.withFullDate],
        ] {
            let formatter = ISO8601DateFormatter()
            formatter.formatOptions = options
            if let date = formatter.date(from: text) { return date }
        }
        return nil
    }

    /// The query string of one search request.
    static func searchQuery(for request: ChargeRequest, window: SearchWindow, page: Int) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        var form = FormEncoder()
        form.append("start_date", formatter.string(from: window.start))
        form.append("end_date", formatter.string(from: window.end))
        form.append("transaction_currency", request.currency.uppercased())
        form.append("fields", "transaction_info")
        form.append("balance_affecting_records_only", "N")
        form.append("page_size", "500")
        form.append("page", String(page))
        return form.encoded
    }

    /// Reads one answer of `GET /v1/reporting/transactions`: a page, a reason to ask again later,
    /// or a thrown ``PaymentError`` for faults no retry can fix.
    static func transactionPage(status: Int, body: [UInt8]) throws -> Result<PayPalWire.TransactionPage, SearchUnavailable> {
        var snippet: String { ProviderTransport.snippet(of: body, limit: 200) }
        switch status {
        case 200..<300:
            guard let page = try? JSONDecoder().decode(PayPalWire.TransactionPage.self, from: Data(body)) else {
                return .failure(
                    SearchUnavailable(
                        message:
                            "PayPal answered the transaction search with HTTP \(status) and \(snippet), which is not a transaction list: ask again later"
                    ))
            }
            return .success(page)
        case 429:
            return .failure(SearchUnavailable(message: "PayPal rate-limited the transaction search (HTTP 429): ask again later"))
        case 500...:
            return .failure(SearchUnavailable(message: "PayPal answered the transaction search with HTTP \(status): ask again later"))
        default:
            let error = try? JSONDecoder().decode(PayPalWire.ErrorBody.self, from: Data(body))
            let detail = error?.details?.first
            let described =
                "PayPal \(error?.name ?? "error")\(detail?.issue.map { " \($0)" } ?? "") (HTTP \(status)) to the transaction search: \(detail?.description ?? error?.message ?? snippet)"
            switch status {
            case 401:
                throw PaymentError(code: .authenticationFailed, message: "\(described): check PAYPAL_CLIENT_ID and PAYPAL_CLIENT_SECRET")
            case 403:
                throw PaymentError(
                    code: .permissionDenied,
                    message: "\(described): enable Transaction Search for the REST app (new permissions can take hours to reach new tokens)"
                )
            default:
                throw PaymentError(code: .invalidRequest, message: "\(described): the search needs fixing, asking again will not help")
            }
        }
    }

    /// What the listed transactions say about `request` (see ``lookUpCharge(_:)``).
    static func lookupResult(for request: ChargeRequest, transactions: [PayPalWire.TransactionInfo]) -> ChargeLookupResult {
        let key = request.idempotencyKey
        let customer = String(request.customer.prefix(127))
        // A transaction id can be listed twice (one record balance-affecting, one not); keep the
        // record that says the most about money: reversed, completed, pending, denied.
        func weight(_ status: String?) -> Int { ["V": 4, "S": 3, "P": 2, "D": 1][status ?? ""] ?? 0 }
        var order: [String] = []
        var byID: [String: PayPalWire.TransactionInfo] = [:]
        for transaction in transactions {
            if let known = byID[transaction.transactionID] {
                if weight(transaction.transactionStatus) > weight(known.transactionStatus) { byID[transaction.transactionID] = transaction }
            } else {
                order.append(transaction.transactionID)
                byID[transaction.transactionID] = transaction
            }
        }
        var charges: [PayPalWire.TransactionInfo] = []
        var unlabelled: [PayPalWire.TransactionInfo] = []
        for transaction in order.compactMap({ byID[$0] }) {
            let amount = transaction.transactionAmount
            let minor = amount.flatMap { PayPalAmount.minorUnits($0.value, currency: $0.currencyCode) }
            // Refunds and reversals carry the charge's invoice id with a negative amount: not charges.
            if let minor, minor <= 0 { continue }
            if transaction.invoiceID == key {
                charges.append(transaction)
            } else if (transaction.invoiceID ?? "").isEmpty, transaction.customField == customer, minor == request.amountMinor,
                amount?.currencyCode.uppercased() == request.currency.uppercased()
            {
                unlabelled.append(transaction)
            }
        }
        guard let charge = charges.first else {
            if !unlabelled.isEmpty {
                return .ambiguous(
                    "no PayPal transaction carries invoice id \(key), but \(unlabelled.map(\.transactionID).joined(separator: ", ")) for the same customer and amount carry none (sent before invoice ids were set?)"
                )
            }
            return .notFound
        }
        guard charges.count == 1 else {
            return .ambiguous(
                "\(charges.count) PayPal transactions carry invoice id \(key): \(charges.map(\.transactionID).joined(separator: ", ")); the key was charged more than once"
            )
        }
        var differences: [String] = []
        let amount = charge.transactionAmount
        if amount.flatMap({ PayPalAmount.minorUnits($0.value, currency: $0.currencyCode) }) != request.amountMinor {
            differences.append(
                "amount \(amount?.value ?? "missing") instead of \(PayPalAmount.value(minorUnits: request.amountMinor, currency: request.currency))"
            )
        }
        if amount?.currencyCode.uppercased() != request.currency.uppercased() {
            differences.append("currency \(amount?.currencyCode ?? "missing") instead of \(request.currency.uppercased())")
        }
        // Compared only when reported: an absent custom_field proves nothing either way.
        if let field = charge.customField, field != customer {
            differences.append("custom_field \(field) instead of \(customer)")
        }
        guard differences.isEmpty else {
            return .ambiguous(
                "PayPal transaction \(charge.transactionID) carries invoice id \(key) but has \(differences.joined(separator: ", "))")
        }
        switch charge.transactionStatus {
        case "S":
            return .found(.succeeded(reference: charge.transactionID))
        case "P":
            // Pending: PayPal settles it later (the capture's webhook, or a later lookup).
            return .found(.processing(reference: charge.transactionID))
        case "D":
            return .found(
                .declined(
                    code: "DENIED", declineCode: nil,
                    message: "PayPal transaction \(charge.transactionID) for \(key) was denied: no money moved",
                    hard: false, reference: charge.transactionID
                )
            )
        case "V":
            return .ambiguous(
                "PayPal transaction \(charge.transactionID) for \(key) completed and was reversed (refunded to the payer): an operator decides"
            )
        default:
            return .ambiguous(
                "PayPal transaction \(charge.transactionID) for \(key) has status \(charge.transactionStatus ?? "none"), which this client does not know"
            )
        }
    }
}
