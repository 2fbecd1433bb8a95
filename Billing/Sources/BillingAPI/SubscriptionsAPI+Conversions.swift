import Billing
import Foundation
import OpenAPIRuntime

/// Between the API's JSON and the billing store's rows, and the checks the generated code does
/// not make (it decodes types, not the document's patterns and ranges).
extension SubscriptionsAPI {
    /// The subscription as the API shows it.
    /// - Throws: 409 for a row the API did not write and cannot show truthfully (an import's unknown
    ///   status, interval or currency), naming what to fix; never a made-up value.
    static func resource(_ row: StoredSubscription) throws -> Components.Schemas.Subscription {
        func plan(_ interval: String, _ price: Int64, _ currency: String) throws -> Components.Schemas.Plan {
            guard let interval = Components.Schemas.Plan.IntervalPayload(rawValue: interval),
                let currency = Components.Schemas.Currency(rawValue: currency)
            else {
                throw APIProblem.conflict(
                    "subscription '\(row.id)' holds a plan this API cannot show (interval '\(interval)', currency '\(currency)'); fix the row"
                )
            }
            return .init(interval: interval, amountMinor: price, currency: currency)
        }
        guard let status = Components.Schemas.SubscriptionStatus(rawValue: row.status) else {
            throw APIProblem.conflict("subscription '\(row.id)' has the unknown status '\(row.status)'; fix the row")
        }
        let keepsRetry = row.failedAttempts > 0 && (status == .pastDue || status == .paused || status == .actionRequired)
        return .init(
            id: row.id, customer: row.customer, paymentMethod: row.paymentMethod,
            plan: try plan(row.interval, row.priceMinor, row.currency),
            pendingPlan: try row.pendingPlan.map { try plan($0.interval, $0.priceMinor, $0.currency) },
            status: status, billingCycleAnchor: date(row.billingCycleAnchor), currentPeriodStart: date(row.currentPeriodStart),
            currentPeriodEnd: date(row.currentPeriodEnd), cancelAtPeriodEnd: row.cancelAtPeriodEnd,
            retry: keepsRetry
                ? .init(failedAttempts: Int64(row.failedAttempts), nextAttemptAt: row.nextAttemptAt.map(date)) : nil,
            version: row.version)
    }

    static func date(_ timestamp: Timestamp) -> Date { Date(timeIntervalSince1970: Double(timestamp.millisecondsSinceEpoch) / 1000) }

    /// The plan a request asks for.
    static func plan(_ plan: Components.Schemas.Plan) throws -> Plan {
        guard (1...1_000_000_000_000).contains(plan.amountMinor) else {
            throw APIProblem.badRequest("plan.amount_minor must be between 1 and 1000000000000, not \(plan.amountMinor)")
        }
        do {
            let interval = try BillingInterval(name: plan.interval.rawValue)
            return try Plan(
                interval: interval, price: Money(minorUnits: plan.amountMinor, currency: try Currency(code: plan.currency.rawValue)))
        } catch {
            throw APIProblem.badRequest("plan: \(error.message)")
        }
    }

    /// The strong ETag of a row version.
    static func eTag(_ version: Int64) -> String { "\"\(version)\"" }

    /// The version an `If-Match` names: nil for `*`.
    /// - Throws: 400 for anything but `*` or one ETag this API gives out (a quoted number).
    static func version(ifMatch: String) throws -> Int64? {
        let tag = ifMatch.trimmingCharacters(in: .whitespaces)
        if tag == "*" { return nil }
        guard tag.count >= 3, tag.count <= 22, tag.hasPrefix("\""), tag.hasSuffix("\""),
            let version = Int64(tag.dropFirst().dropLast()), version >= 0
        else {
            throw APIProblem.badRequest(
                "If-Match must be * or the ETag of a GET (a quoted number such as \"3\"), not '\(tag.prefix(64))'")
        }
        return version
    }

    static func checkID(_ id: String, what: String) throws {
        guard (1...64).contains(id.utf8.count),
            id.utf8.allSatisfy({ isAlphanumeric($0) || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: "-") })
        else {
            throw APIProblem.badRequest("\(what) must be 1 to 64 characters of A-Z, a-z, 0-9, _ and -")
        }
    }

    static func checkReference(_ value: String, what: String) throws {
        guard (1...255).contains(value.count), !value.contains(where: { $0.isNewline }) else {
            throw APIProblem.badRequest("\(what) must be 1 to 255 characters on one line")
        }
    }

    static func checkedIdempotencyKey(_ key: String) throws -> String {
        guard (1...255).contains(key.utf8.count), key.utf8.allSatisfy({ (0x21...0x7E).contains($0) }) else {
            throw APIProblem.badRequest("Idempotency-Key must be 1 to 255 printable ASCII characters without spaces")
        }
        return key
    }

    private static func isAlphanumeric(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
            || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
    }

    /// A new id: `sub_` and 24 random characters.
    static func newID() -> String {
        let alphabet = Array("abcdefghijklmnopqrstuvwxyz0123456789")
        return "sub_" + String((0..<24).map { _ in alphabet.randomElement()! })
    }

    // MARK: Idempotent creation

    static func encoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(date.formatted(.iso8601.year().month().day().time(includingFractionalSeconds: true)))
        }
        return encoder
    }

    /// The request in one canonical form (sorted keys), to compare a retry with the first.
    static func canonicalJSON(_ request: Components.Schemas.SubscriptionCreate) throws -> String {
        String(decoding: try encoder().encode(request), as: UTF8.self)
    }

    static func encode(_ subscription: Components.Schemas.Subscription) throws -> String {
        String(decoding: try encoder().encode(subscription), as: UTF8.self)
    }

    /// What the first request with the same key answered; 422 when this request differs.
    static func replay(_ recorded: RecordedCreation, of request: String) throws -> Operations.CreateSubscription.Output {
        guard recorded.request == request else {
            throw APIProblem.unprocessable(
                "the Idempotency-Key '\(recorded.idempotencyKey)' was used for a different request; use a new key for a new subscription")
        }
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .custom { decoder in
            let text = try decoder.singleValueContainer().decode(String.self)
            return try Date(text, strategy: .iso8601.year().month().day().time(includingFractionalSeconds: true))
        }
        let body = try decoder.decode(Components.Schemas.Subscription.self, from: Data(recorded.response.utf8))
        return .created(
            .init(
                headers: .init(eTag: eTag(body.version), location: "/v1/subscriptions/\(body.id)", idempotentReplayed: ._true),
                body: .json(body)))
    }
}
