import ArgumentParser

/// `billing charges`: the charges an operator must look at, and their settlement.
struct ChargesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "charges",
        abstract: "List the charges that need review, and settle a parked one.",
        subcommands: [ReviewChargesCommand.self, ResolveChargeCommand.self]
    )
}
