import ArgumentParser
import Billing

/// `billing charges review`.
struct ReviewChargesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "review",
        abstract: "List the charges that need an operator: parked ones (nothing more is sent for them) and refund reviews."
    )

    @OptionGroup var options: DatabaseOptions

    @Option(help: "At most this many.")
    var limit: Int = 100

    func run() async throws {
        guard limit >= 1 else { throw CLIError("--limit must be at least 1") }
        let charges = try await options.withStore { store in try await store.chargesInReview(limit: limit) }
        let rows = charges.map(ChargeReviewRow.init)
        if options.json {
            try JSONOutput.print(rows)
        } else {
            for row in rows { print(row.line) }
            print("\(rows.count) charge\(rows.count == 1 ? "" : "s") need review")
        }
    }
}
