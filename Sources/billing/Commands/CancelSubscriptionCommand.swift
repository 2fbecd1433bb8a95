import ArgumentParser
import Billing

/// `billing subscriptions cancel`.
struct CancelSubscriptionCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "cancel", abstract: "Cancel a subscription now, or at its period end.")

    @OptionGroup var options: DatabaseOptions

    @Argument(help: "The subscription's id.")
    var id: String

    @Flag(help: "Let the paid period run out instead of canceling now.")
    var atPeriodEnd = false

    func run() async throws {
        let row: StoredSubscription = try await options.withStore { store in
            guard var row = try await store.subscription(id: id) else { throw CLIError("no subscription '\(id)' in the database") }
            if atPeriodEnd {
                row.cancelAtPeriodEnd = true
            } else {
                row.status = SubscriptionStatus.canceled.rawValue
                row.nextAttemptAt = nil
            }
            try await store.saveSubscription(row)
            return row
        }
        let output = SubscriptionRow(row)
        if options.json { try JSONOutput.print(output) } else { print("canceled \(output.line)") }
    }
}
