import ArgumentParser
import Billing
import BillingNode
import Glibc
import LeaderElection
import PaymentSandbox
import Payments

/// The `billing` command: a replica of the renewal service, the demo, the payment sandbox, and
/// subscription and audit tools.
@main
struct BillingMain: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "billing",
        abstract: "A replicated subscription-billing service that charges exactly once, on leader election.",
        discussion: "Start with 'billing demo': five replicas, a payment sandbox, crashes and pauses, and an audit.",
        subcommands: [
            NodeCommand.self, DemoCommand.self, SandboxCommand.self, SubscriptionsCommand.self, ChargesCommand.self, EventsCommand.self,
            AuditCommand.self,
        ]
    )

    /// Parses the command line and runs the subcommand; every failure becomes one `error:` line.
    static func main() async {
        // A write to a closed pipe must fail, not kill the process.
        signal(SIGPIPE, SIG_IGN)
        do {
            var command = try parseAsRoot(ProcessArguments.current)
            if var command = command as? any AsyncParsableCommand {
                try await command.run()
            } else {
                try command.run()
            }
        } catch {
            fail(error)
        }
    }

    private static func fail(_ error: any Error) -> Never {
        let message: String
        switch error {
        case let error as CLIError: message = error.message
        case let error as BillingNodeError: message = error.message
        case let error as BillingError: message = error.message
        case let error as ElectionError: message = error.message
        case let error as PaymentError: message = error.message
        case let error as PaymentSandboxError: message = error.message
        case let error as ExitCode: Glibc.exit(error.rawValue)
        default:
            if exitCode(for: error) == .success { exit(withError: error) }
            let full = self.message(for: error)
            message = full.split(separator: "\n").first.map(String.init) ?? "\(error)"
        }
        var line = "error: \(message)\n"
        line.withUTF8 { _ = Glibc.write(STDERR_FILENO, $0.baseAddress, $0.count) }
        Glibc.exit(1)
    }
}
