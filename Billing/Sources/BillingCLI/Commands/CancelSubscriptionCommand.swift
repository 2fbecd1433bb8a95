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
        // One conditional update of the fields a cancellation changes (never a rewrite of the row),
        // so a renewal in flight cannot undo it, nor this undo a renewal.
        let row: StoredSubscription = try await options.withStore { store in
            try await store.cancelSubscription(id: id, atPeriodEnd: atPeriodEnd)
        }
        let output = SubscriptionRow(row)
        if options.json { try JSONOutput.print(output) } else { print("canceled \(output.line)") }
    }
}
