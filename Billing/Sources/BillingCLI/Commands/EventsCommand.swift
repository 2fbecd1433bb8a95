import ArgumentParser

/// `billing events`: the outbox of events for the business, and its redelivery.
struct EventsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "events",
        abstract: "Inspect the events the service delivers to the business, and deliver some again.",
        subcommands: [ListEventsCommand.self, ReplayEventsCommand.self, ReceiveEventsCommand.self, PruneEventsCommand.self]
    )
}
