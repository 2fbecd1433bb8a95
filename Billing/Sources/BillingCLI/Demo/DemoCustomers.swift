import Foundation
import PaymentSandbox

/// The customers and banks of the demo's asynchronous payments: once a charge has waited a
/// moment, the customer authenticates it (every fifth one gives up) and the bank settles a debit
/// (every seventh one is returned), through the sandbox, which then sends its webhooks.
struct DemoCustomers: Sendable {
    let sandbox: PaymentSandboxServer
    let say: @Sendable (String) -> Void

    /// Completes waiting charges every half second until cancelled.
    func run() async {
        var completed = Set<String>()
        var authentications = 0
        var settlements = 0
        while !Task.isCancelled {
            let now = Int64(Date().timeIntervalSince1970 * 1000)
            for entry in sandbox.ledger() where entry.provider == "stripe" && !completed.contains(entry.reference) {
                // A customer comes back (a bank settles) a little while after the charge was made.
                guard now - entry.appliedAtMs > 1500 else { continue }
                let step: PaymentSandboxServer.CompletionStep
                let succeeded: Bool
                switch entry.status {
                case "requires_action":
                    authentications += 1
                    step = .authentication
                    succeeded = authentications % 5 != 0
                case "processing":
                    settlements += 1
                    step = .settlement
                    succeeded = settlements % 7 != 0
                default:
                    continue
                }
                completed.insert(entry.reference)
                guard (try? sandbox.complete(paymentIntent: entry.reference, step: step, succeeded: succeeded)) != nil else { continue }
                let subscription = entry.metadata["subscription_id"] ?? "?"
                say(
                    step == .authentication
                        ? "customer of \(subscription) \(succeeded ? "authenticated" : "gave up authenticating") \(entry.reference)"
                        : "bank \(succeeded ? "settled" : "returned") the debit \(entry.reference) of \(subscription)")
            }
            guard (try? await Task.sleep(for: .milliseconds(500))) != nil else { return }
        }
    }
}
