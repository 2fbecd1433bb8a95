import ArgumentParser
import Billing

/// `billing charges resolve KEY --as succeeded|failed`.
struct ResolveChargeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "resolve",
        abstract: "Settle a charge parked for review, after checking it at the provider.",
        discussion: """
            The charge must still be open and parked under KEY, or nothing is written. 'succeeded' \
            pays its period (the subscription advances); 'failed' says nothing was charged (the \
            subscription goes on to its next dunning attempt at once). The settlement, the operator \
            and the note are appended to the charge_resolutions table in the same transaction.
            """
    )

    @OptionGroup var options: DatabaseOptions

    @Argument(help: "The parked charge's idempotency key (see `billing charges review`).")
    var key: String

    @Option(name: .customLong("as"), help: "What the provider's records show: succeeded or failed.")
    var outcome: String

    @Option(help: "The provider's reference of the charge (PaymentIntent id, capture id).")
    var reference: String?

    @Option(name: .customLong("operator"), help: "Who settles it, for the audit trail (default: $USER).")
    var operatorName: String?

    @Option(help: "Why, for the audit trail.")
    var note: String?

    func run() async throws {
        guard let parsed = ChargeResolution.Outcome(rawValue: outcome) else {
            throw CLIError("--as must be 'succeeded' or 'failed', not '\(outcome)'")
        }
        let who = Environment.pick(operatorName, "USER") ?? "unknown"
        let resolution = ChargeResolution(idempotencyKey: key, outcome: parsed, providerReference: reference, operatorName: who, note: note)
        let charge = try await options.withStore { store in try await store.resolveCharge(resolution) }
        if options.json {
            try JSONOutput.print(["idempotencyKey": charge.idempotencyKey, "status": charge.status.rawValue])
        } else {
            print(
                "resolved \(charge.idempotencyKey) as \(charge.status) (subscription \(charge.subscriptionID), period \(charge.periodStart))"
            )
        }
    }
}
