import ArgumentParser
import Logging
import PaymentSandbox
import ServiceLifecycle

/// `billing sandbox`: the Stripe- and PayPal-compatible payment sandbox, until SIGTERM or SIGINT.
struct SandboxCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sandbox",
        abstract: "Run the payment sandbox (Stripe- and PayPal-compatible, with test cards that decline and a ledger at /sandbox/ledger)."
    )

    @Option(help: "The port; 0 picks a free one (default 12111).")
    var port: Int = 12111

    @Option(help: "The address to listen on (default 127.0.0.1; the admin endpoints have no authentication).")
    var listen: String = "127.0.0.1"

    func run() async throws {
        guard (0...65535).contains(port) else { throw CLIError("--port \(port) is not a port; use 0...65535") }
        let logger = Logger(label: "billing.sandbox")
        let server = try PaymentSandboxServer(configuration: .init(host: listen, port: port), logger: logger)
        let group = ServiceGroup(
            configuration: ServiceGroupConfiguration(
                services: [
                    .init(service: server, successTerminationBehavior: .gracefullyShutdownGroup),
                    .init(service: PortAnnouncer(server: server)),
                ],
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: logger
            )
        )
        try await group.run()
    }
}

/// Prints the sandbox's URL on standard output once it listens (scripts read that line).
private struct PortAnnouncer: Service {
    let server: PaymentSandboxServer

    func run() async throws {
        let url = try await server.baseURL()
        print("payment sandbox listening on \(url) (ledger: \(url)/sandbox/ledger)")
        try? await gracefulShutdown()
    }
}
