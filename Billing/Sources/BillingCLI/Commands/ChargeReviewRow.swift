import Billing

/// A charge that needs review, as `billing charges review` and `billing audit` print it.
struct ChargeReviewRow: Encodable {
    var idempotencyKey: String
    var subscriptionID: String
    var periodStart: String
    var status: String
    var amount: String
    var reason: String

    init(_ charge: Charge) {
        idempotencyKey = charge.idempotencyKey
        subscriptionID = charge.subscriptionID
        periodStart = charge.periodStart.iso8601
        status = charge.status.rawValue
        amount = "\(charge.amount)"
        reason = charge.reviewReason ?? ""
    }

    /// One line for people.
    var line: String { "\(idempotencyKey)  \(status)  \(amount)  \(reason)" }
}
