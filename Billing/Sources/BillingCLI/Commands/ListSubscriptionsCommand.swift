import ArgumentParser
import Billing

/// `billing subscriptions list`.
struct ListSubscriptionsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list",
        abstract: "List active and past-due subscriptions in due order (canceled ones are not listed; use --id for one)."
    )

    @OptionGroup var options: DatabaseOptions

    @Option(help: "Show only this subscription, whatever its status.")
    var id: String?

    @Option(help: "At most this many.")
    var limit: Int = 100

    func run() async throws {
        guard limit >= 1 else { throw CLIError("--limit must be at least 1") }
        let rows: [StoredSubscription] = try await options.withStore { store in
            if let id {
                guard let row = try await store.subscription(id: id) else { throw CLIError("no subscription '\(id)' in the database") }
                return [row]
            }
            // Every subscription that will ever be due again is due by the end of time.
            let end = Timestamp(millisecondsSinceEpoch: 253_402_300_799_000)
            return try await store.dueSubscriptions(at: end, after: nil, limit: limit)
        }
        let output = rows.map(SubscriptionRow.init)
        if options.json {
            try JSONOutput.print(output)
        } else {
            for row in output { print(row.line) }
            print("\(output.count) subscription\(output.count == 1 ? "" : "s")")
        }
    }
}
