import ArgumentParser
import BillingNode
import Foundation
import Logging

/// `billing events receive`: a small endpoint that verifies and prints the service's events.
struct ReceiveEventsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "receive",
        abstract: "Listen for the service's events (--event-endpoint of the nodes), verify their signatures, and print them.",
        discussion:
            "The signing secret comes from $BILLING_EVENT_SECRET (or $BILLING_EVENT_SECRET_FILE), as on the nodes. A repeated delivery of an event (same id) is printed as a repeat."
    )

    @Option(help: "The port to listen on (0 picks a free one, printed at start).")
    var port: Int = 8099

    @Option(help: "The address to listen on.")
    var listen: String = "127.0.0.1"

    @Flag(help: "Print each event's JSON instead of one line.")
    var json = false

    func run() async throws {
        guard (0...65535).contains(port) else { throw CLIError("--port \(port) is not a port; use 0...65535") }
        guard let secret = try Environment.secret("BILLING_EVENT_SECRET"), !secret.isEmpty else {
            throw CLIError("set BILLING_EVENT_SECRET (or BILLING_EVENT_SECRET_FILE) to the secret the nodes sign events with")
        }
        var logger = Logger(label: "billing.events")
        logger.logLevel = .warning
        let json = self.json
        let receiver = EventReceiver(secret: secret, logger: logger) { delivery in
            let line =
                json
                ? String(decoding: delivery.body, as: UTF8.self)
                : "\(delivery.id)  \(delivery.type)  \(delivery.subscriptionID ?? "-")\(delivery.isRepeat ? "  (repeat delivery)" : "")"
            // Written straight to the file descriptor: one line per event, at once, even into a pipe.
            FileHandle.standardOutput.write(Data((line + "\n").utf8))
        }
        FileHandle.standardOutput.write(Data("receiving events on http://\(listen):\(port)/\n".utf8))
        do {
            try await receiver.run(host: listen, port: port)
        } catch {
            throw CLIError("cannot listen on \(listen):\(port) (\(error)); pick another --port")
        }
    }
}
