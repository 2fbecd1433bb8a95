import ArgumentParser

/// `billing subscriptions`: add, list and cancel subscriptions in a billing database.
struct SubscriptionsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "subscriptions",
        abstract: "Add, list and cancel subscriptions in a billing database.",
        subcommands: [AddSubscriptionCommand.self, ListSubscriptionsCommand.self, CancelSubscriptionCommand.self]
    )
}
