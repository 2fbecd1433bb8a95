import ArgumentParser
import Billing

/// `billing events prune`.
struct PruneEventsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "prune",
        abstract: "Delete the events every endpoint accepted longer ago than --older-than; undelivered events are kept.",
        discussion: "Run it from cron (or a Kubernetes CronJob) to keep the outbox small; pruned events can no longer be replayed."
    )

    @OptionGroup var options: DatabaseOptions

    @Option(help: "How long delivered events are kept, with a unit: 30d, 12h, 90m, 3600s.")
    var olderThan: String

    func run() async throws {
        let units: [Character: Int64] = ["s": 1, "m": 60, "h": 3600, "d": 86_400]
        guard let unit = olderThan.last.flatMap({ units[$0] }), let amount = Int64(olderThan.dropLast()), amount > 0,
            case (let seconds, false) = amount.multipliedReportingOverflow(by: unit), seconds <= 100 * 365 * 86_400
        else {
            throw CLIError(
                "--older-than '\(olderThan)' is not a positive whole number with a unit (s, m, h or d) up to 100 years, such as 30d")
        }
        let age = Duration.seconds(seconds)
        let count = try await options.withStore { store in
            try await store.pruneEvents(deliveredBefore: try await store.currentTime() + (.zero - age))
        }
        if options.json {
            try JSONOutput.print(["pruned": count])
        } else {
            print("\(count) delivered event\(count == 1 ? "" : "s") older than \(olderThan) deleted")
        }
    }
}
