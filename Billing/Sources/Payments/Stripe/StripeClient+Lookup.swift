import Foundation
import Logging

extension StripeClient {
    /// Finds the PaymentIntent that `request` created, by the metadata it carries, with Stripe's
    /// Search API: `GET /v1/payment_intents/search?query=metadata['k']:'v' AND ...` (see
    /// ``searchQuery(for:)``).
    ///
    /// | answer | result |
    /// |---|---|
    /// | no PaymentIntent carries the metadata | ``ChargeLookupResult/notFound`` |
    /// | one, `succeeded` | ``ChargeLookupResult/found(_:)`` with ``ChargeOutcome/succeeded(reference:)`` (its `pi_...` id) |
    /// | one, `requires_payment_method` with a `last_payment_error`, or `canceled` | found, ``ChargeOutcome/declined(code:declineCode:message:hard:reference:)``, hard per ``StripeDeclineCodes`` |
    /// | one, `processing` | found, ``ChargeOutcome/processing(reference:)`` |
    /// | one, `requires_action`, or `requires_payment_method` after `authentication_required` | found, ``ChargeOutcome/requiresAction(reference:action:)`` |
    /// | one, `requires_confirmation`, `requires_capture`, ... | found, ``ChargeOutcome/unknown(message:)``: not settled yet |
    /// | one whose amount, currency or customer differ from the request's | ``ChargeLookupResult/ambiguous(_:)`` |
    /// | more than one (the key was forgotten and charged again) | ``ChargeLookupResult/ambiguous(_:)`` naming their ids |
    /// | an intent whose metadata differs in one of the request's entries | not this charge (ignored) |
    /// | not reached, answer lost, 429, 5xx, an answer that is not a search result | ``ChargeLookupResult/unavailable(_:)`` |
    /// | 401 / 403 | throws ``PaymentError`` (``PaymentError/Code/authenticationFailed`` / ``PaymentError/Code/permissionDenied``) |
    /// | other 4xx | throws ``PaymentError`` (``PaymentError/Code/invalidRequest``) |
    ///
    /// Search is eventually consistent: Stripe documents that new or changed objects are
    /// searchable within about a minute, and later during an outage. A charge made moments
    /// before can be missing, so ``ChargeLookupResult/notFound`` only settles a charge that was
    /// sent well before (the engine looks up only past ``idempotencyKeyRetention``, 24 hours).
    /// Search needs API version 2020-08-27 or later (``Configuration/stripeVersion``) and is not
    /// offered to accounts in India.
    ///
    /// Throws ``PaymentError`` with ``PaymentError/Code/lookupUnsupported`` when the request
    /// carries no metadata (or more than 10 entries), or an entry that cannot be searched for
    /// exactly (a key outside `[A-Za-z0-9_]`, a value with a backslash: Stripe's query language
    /// documents escaping quotes only).
    public func lookUpCharge(_ request: ChargeRequest) async throws -> ChargeLookupResult {
        try Self.validate(request)
        let query = try Self.searchQuery(for: request)
        var form = FormEncoder()
        form.append("query", query)
        // Ten results name enough duplicates for an operator; more than one is ambiguous anyway.
        form.append("limit", "10")
        let http = ProviderTransport.Request(
            method: .GET, url: configuration.baseURL + "/v1/payment_intents/search?" + form.encoded, headers: headers)

        var logger = self.logger
        logger[metadataKey: "idempotency-key"] = "\(request.idempotencyKey)"
        let result: ChargeLookupResult
        switch try await transport.send(http, logger: logger) {
        case .notSent(let reason):
            result = .unavailable("Stripe was not reached: \(reason)")
        case .lost(let reason):
            result = .unavailable("Stripe's answer to the search was lost: \(reason)")
        case .response(let response):
            result = try Self.lookupResult(for: request, status: response.status, body: response.body)
        }
        logger.debug("Stripe charge lookup", metadata: ["result": "\(result)"])
        return result
    }

    /// The search query that finds `request`'s PaymentIntent: every entry of its metadata, as
    /// `metadata['k1']:'v1' AND metadata['k2']:'v2' ...` (keys sorted), a `'` in a value escaped
    /// as `\'`. The metadata must name the charge uniquely: the renewal engine sends the
    /// subscription, the period and the attempt, which every version of it has sent, so charges
    /// made before an upgrade are found too.
    static func searchQuery(for request: ChargeRequest) throws -> String {
        let key = request.idempotencyKey
        guard !request.metadata.isEmpty, request.metadata.count <= 10 else {
            throw PaymentError(
                code: .lookupUnsupported,
                message:
                    "the charge request for \(key) carries \(request.metadata.count) metadata entries; a search needs 1 to 10 that name the charge, so settle it by hand"
            )
        }
        var clauses: [String] = []
        for name in request.metadata.keys.sorted() {
            let value = request.metadata[name] ?? ""
            guard
                name.utf8.allSatisfy({
                    $0 == UInt8(ascii: "_") || (0x30...0x39).contains($0) || (0x41...0x5A).contains($0) || (0x61...0x7A).contains($0)
                }),
                !value.contains("\\")
            else {
                throw PaymentError(
                    code: .lookupUnsupported,
                    message:
                        "the metadata entry \(name) of the charge request for \(key) cannot be searched for exactly (Stripe's query language escapes quotes only); settle it by hand"
                )
            }
            clauses.append("metadata['\(name)']:'" + value.replacingOccurrences(of: "'", with: "\\'") + "'")
        }
        return clauses.joined(separator: " AND ")
    }

    /// Maps one answer of `GET /v1/payment_intents/search` to a lookup result (see ``lookUpCharge(_:)``).
    static func lookupResult(for request: ChargeRequest, status: Int, body: [UInt8]) throws -> ChargeLookupResult {
        var snippet: String { ProviderTransport.snippet(of: body, limit: 200) }
        switch status {
        case 200..<300:
            break
        case 429:
            return .unavailable("Stripe rate-limited the search (HTTP 429): ask again later")
        case 500...:
            return .unavailable("Stripe answered the search with HTTP \(status): ask again later")
        default:
            let error = try? JSONDecoder().decode(StripeWire.ErrorEnvelope.self, from: Data(body)).error
            let described =
                "Stripe \(error?.type ?? "error") \(error?.code.map { "\($0) " } ?? "")(HTTP \(status)) to the search for \(request.idempotencyKey): \(error?.message ?? snippet)"
            switch status {
            case 401:
                throw PaymentError(code: .authenticationFailed, message: "\(described): check STRIPE_API_KEY")
            case 403:
                throw PaymentError(code: .permissionDenied, message: "\(described): the key may not read PaymentIntents")
            default:
                throw PaymentError(code: .invalidRequest, message: "\(described): the search needs fixing, asking again will not help")
            }
        }
        guard let page = try? JSONDecoder().decode(StripeWire.SearchResult.self, from: Data(body)), page.object == "search_result" else {
            return .unavailable(
                "Stripe answered the search with HTTP \(status) and \(snippet), which is not a search result: ask again later")
        }
        // Search matched on the metadata; an intent whose metadata differs in one of the
        // request's entries (a looser match than asked for) is not this charge. One without
        // metadata in the answer still counts: dropping it could turn a double charge into notFound.
        let matches = page.data.filter { intent in
            intent.metadata.map { metadata in request.metadata.allSatisfy { metadata[$0.key] == $0.value } } ?? true
        }
        guard let intent = matches.first else {
            if page.hasMore == true {
                return .unavailable(
                    "Stripe's search for \(request.idempotencyKey) returned an empty page that says more follow: ask again later")
            }
            return .notFound
        }
        if matches.count > 1 || page.hasMore == true {
            let ids = matches.map(\.id).joined(separator: ", ")
            return .ambiguous(
                "\(matches.count)\(page.hasMore == true ? "+" : "") Stripe PaymentIntents carry the metadata of \(request.idempotencyKey): \(ids); the charge was made more than once"
            )
        }
        var differences: [String] = []
        if intent.amount != request.amountMinor {
            differences.append("amount \(intent.amount.map(String.init) ?? "missing") instead of \(request.amountMinor)")
        }
        if intent.currency?.lowercased() != request.currency.lowercased() {
            differences.append("currency \(intent.currency ?? "missing") instead of \(request.currency.lowercased())")
        }
        if (intent.customer ?? "") != request.customer {
            differences.append("customer \(intent.customer ?? "none") instead of \(request.customer)")
        }
        guard differences.isEmpty else {
            return .ambiguous(
                "Stripe PaymentIntent \(intent.id) carries the metadata of \(request.idempotencyKey) but has \(differences.joined(separator: ", "))"
            )
        }
        return .found(lookupOutcome(of: intent))
    }

    /// What a found PaymentIntent says about the charge.
    ///
    /// Unlike the answer to a charge (``outcome(of:)``), a status that is not final here is
    /// ``ChargeOutcome/unknown(message:)``: the lookup reports what Stripe holds now, and an
    /// intent that still requires an action or a confirmation may yet move money.
    static func lookupOutcome(of intent: StripeWire.PaymentIntent) -> ChargeOutcome {
        switch intent.status {
        case "succeeded":
            return .succeeded(reference: intent.id)
        case "processing":
            return .processing(reference: intent.id)
        case _ where intent.awaitsCustomer:
            return .requiresAction(reference: intent.id, action: intent.customerAction)
        case "requires_payment_method" where intent.lastPaymentError == nil:
            // Never attempted (a charge confirms at once, so this should not occur): not settled.
            return .unknown(message: "PaymentIntent \(intent.id) requires a payment method without a payment error: look it up again later")
        case "requires_payment_method", "canceled":
            let error = intent.lastPaymentError
            let code = error?.code ?? intent.status
            return .declined(
                code: code,
                declineCode: error?.declineCode,
                message: error?.message ?? "PaymentIntent \(intent.id) was canceled: no money moved",
                hard: StripeDeclineCodes.isHard(code: code, declineCode: error?.declineCode),
                reference: intent.id
            )
        default:
            return .unknown(message: "PaymentIntent \(intent.id) is \(intent.status): not settled yet; look it up again later")
        }
    }
}
