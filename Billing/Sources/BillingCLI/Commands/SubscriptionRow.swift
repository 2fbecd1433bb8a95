import Billing

/// A subscription as the data subcommands print it.
struct SubscriptionRow: Codable {
    var id: String
    var customer: String
    var paymentMethod: String
    var plan: String
    var price: String
    var currency: String
    var status: String
    var currentPeriodStart: String
    var currentPeriodEnd: String
    var cancelAtPeriodEnd: Bool
    var failedAttempts: Int
    var nextAttemptAt: String?

    init(_ row: StoredSubscription) {
        id = row.id
        customer = row.customer
        paymentMethod = row.paymentMethod
        plan = row.interval
        let currency = try? Currency(code: row.currency)
        price = currency.map { Money(minorUnits: row.priceMinor, currency: $0).decimalString } ?? "\(row.priceMinor) minor units"
        self.currency = row.currency
        status = row.status
        currentPeriodStart = row.currentPeriodStart.iso8601
        currentPeriodEnd = row.currentPeriodEnd.iso8601
        cancelAtPeriodEnd = row.cancelAtPeriodEnd
        failedAttempts = row.failedAttempts
        nextAttemptAt = row.nextAttemptAt?.iso8601
    }

    var line: String {
        var text = "\(id)  \(customer)  \(plan) \(price) \(currency)  \(status)  period \(currentPeriodStart) – \(currentPeriodEnd)"
        if cancelAtPeriodEnd { text += "  (cancels at period end)" }
        if let nextAttemptAt { text += "  retry #\(failedAttempts) at \(nextAttemptAt)" }
        return text
    }
}
