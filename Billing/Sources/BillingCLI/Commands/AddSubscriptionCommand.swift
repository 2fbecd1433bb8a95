import ArgumentParser
import Billing

/// `billing subscriptions add`.
struct AddSubscriptionCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "add", abstract: "Add a subscription (or replace the one with the same id).")

    @OptionGroup var options: DatabaseOptions

    @Option(help: "The subscription's id.")
    var id: String

    @Option(help: "The provider's customer reference (e.g. cus_123).")
    var customer: String

    @Option(help: "The provider's saved payment method (e.g. pm_card_visa; pm_card_chargeDeclined declines in the sandbox).")
    var paymentMethod: String = "pm_card_visa"

    @Option(help: "monthly or annual.")
    var plan: String = "monthly"

    @Option(help: "The price of one period as a decimal amount, e.g. 9.99.")
    var price: String

    @Option(help: "The ISO 4217 currency code.")
    var currency: String = "USD"

    @Option(help: "The billing-cycle anchor, e.g. 2025-01-31T00:00:00Z (default: now). The first renewal is one period later.")
    var anchor: String?

    func run() async throws {
        let interval = try BillingInterval(name: plan)
        let money = try Money(parsing: price, currency: try Currency(code: currency.uppercased()))
        let planValue = try Plan(interval: interval, price: money)
        let start: Timestamp
        if let anchor {
            start = try Timestamp(iso8601: anchor)
        } else {
            start = try await SystemBillingClock().now()
        }
        let subscription = Subscription(id: id, customer: customer, plan: planValue, paymentMethod: paymentMethod, anchor: start)
        try await options.withStore { store in
            try await store.createSubscription(subscription.stored)
        }
        let row = SubscriptionRow(subscription.stored)
        if options.json { try JSONOutput.print(row) } else { print("added \(row.line)") }
    }
}
