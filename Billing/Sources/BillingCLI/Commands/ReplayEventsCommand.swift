import ArgumentParser
import Billing

/// `billing events replay`.
struct ReplayEventsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replay",
        abstract: "Queue events for delivery again, delivered or not, with their original ids (receivers deduplicate on them).",
        discussion:
            "The leader delivers them in order per subscription, as new ones. Give one event (--id), or a range (--from, --through), optionally narrowed to one subscription."
    )

    @OptionGroup var options: DatabaseOptions

    @Option(help: "The event to deliver again (evt_42).")
    var id: String?

    @Option(help: "The first event of a range (evt_40).")
    var from: String?

    @Option(help: "The last event of a range (evt_49); default: the newest.")
    var through: String?

    @Option(help: "Only this subscription's events in the range.")
    var subscription: String?

    func run() async throws {
        func sequence(_ text: String, _ flag: String) throws -> Int64 {
            guard let sequence = BillingEvent.sequence(ofID: text) else {
                throw CLIError("\(flag) '\(text)' is not an event id; give one like evt_42 (see billing events list)")
            }
            return sequence
        }
        let range: ClosedRange<Int64>
        switch (id, from) {
        case (let id?, nil) where through == nil:
            let one = try sequence(id, "--id")
            range = one...one
        case (nil, let from?):
            let first = try sequence(from, "--from")
            let last = try through.map { try sequence($0, "--through") } ?? Int64.max
            guard first <= last else { throw CLIError("--from \(from) comes after --through \(through ?? "")") }
            range = first...last
        default:
            throw CLIError("give either --id EVENT, or --from EVENT [--through EVENT]")
        }
        let count = try await options.withStore { store in
            try await store.requeueEvents(
                from: range.lowerBound, through: range.upperBound, subscriptionID: subscription, at: try await store.currentTime())
        }
        guard count > 0 else { throw CLIError("no event matched; see billing events list") }
        if options.json {
            try JSONOutput.print(["requeued": count])
        } else {
            print("\(count) event\(count == 1 ? "" : "s") queued for delivery again")
        }
    }
}
