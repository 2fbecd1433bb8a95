import AsyncHTTPClient
import Billing
import Foundation
import Logging
import PaymentSandbox
import Payments

/// The payment sandbox on a free loopback port, a Stripe client pointed at it over real HTTP, and
/// the audit that compares the sandbox's ledger with the billing database.
struct SandboxHarness: Sendable {
    let server: PaymentSandboxServer
    let baseURL: String

    /// Runs `body` with a sandbox started in-process, then stops it.
    static func with<T: Sendable>(faults: FaultRates = .none, _ body: (SandboxHarness) async throws -> T) async throws -> T {
        let logger = Logger(label: "sandbox", factory: { _ in SwiftLogNoOpLogHandler() })
        let server = try PaymentSandboxServer(configuration: .init(faults: faults), logger: logger)
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await server.run() }
            defer { group.cancelAll() }
            let harness = SandboxHarness(server: server, baseURL: try await server.baseURL())
            return try await body(harness)
        }
    }

    /// A Stripe client for this sandbox; a short timeout turns an injected hang into an unknown outcome quickly.
    func stripeClient(timeout: Duration = .seconds(2)) throws -> StripeClient {
        try StripeClient(
            configuration: .init(apiKey: APISecret("sk_test_end_to_end"), baseURL: baseURL, requestTimeout: timeout),
            logger: Logger(label: "stripe", factory: { _ in SwiftLogNoOpLogHandler() })
        )
    }

    /// What the ledger and the database say together.
    struct Audit: CustomStringConvertible {
        /// Succeeded ledger charges per (subscription, period start).
        var succeededPerPeriod: [String: Int] = [:]
        /// Ledger entries applied more than once under one key (a sandbox bug if ever non-empty).
        var keysAppliedTwice: [String] = []
        /// Ledger entries whose key the database does not know (money moved that billing never recorded).
        var keysUnknownToTheDatabase: [String] = []
        /// Charges the database still has pending or unknown.
        var unresolved: [String] = []
        /// Database charges recorded as succeeded whose key the ledger has no succeeded entry for.
        var succeededWithoutMoney: [String] = []

        /// Periods charged more than once.
        var doubleCharges: [String] { succeededPerPeriod.filter { $0.value > 1 }.map(\.key).sorted() }

        var isClean: Bool {
            doubleCharges.isEmpty && keysAppliedTwice.isEmpty && keysUnknownToTheDatabase.isEmpty && unresolved.isEmpty
                && succeededWithoutMoney.isEmpty
        }

        var description: String {
            "double \(doubleCharges), applied twice \(keysAppliedTwice), unknown to the database \(keysUnknownToTheDatabase), unresolved \(unresolved), succeeded without money \(succeededWithoutMoney)"
        }
    }

    /// Compares the sandbox's ledger with every charge in `store`.
    func audit(_ store: any BillingStore) async throws -> Audit {
        var charges: [Charge] = []
        var cursor: ChargeCursor?
        while true {
            let page = try await store.charges(after: cursor, limit: 500)
            guard let last = page.last else { break }
            charges += page
            cursor = ChargeCursor(after: last)
        }
        let ledger = server.ledger()
        let databaseKeys = Set(charges.map(\.idempotencyKey))
        var audit = Audit()
        var succeededKeys = Set<String>()
        for entry in ledger {
            let key = entry.idempotencyKey ?? "(none)"
            if entry.count != 1 { audit.keysAppliedTwice.append(key) }
            if !databaseKeys.contains(key) { audit.keysUnknownToTheDatabase.append(key) }
            if entry.status == "succeeded" {
                succeededKeys.insert(key)
                let period = "\(entry.metadata["subscription_id"] ?? "?")@\(entry.metadata["period_start"] ?? "?")"
                audit.succeededPerPeriod[period, default: 0] += entry.count
            }
        }
        for charge in charges {
            switch charge.status {
            case .pending, .unknown: audit.unresolved.append(charge.idempotencyKey)
            case .succeeded where !succeededKeys.contains(charge.idempotencyKey): audit.succeededWithoutMoney.append(charge.idempotencyKey)
            default: break
            }
        }
        return audit
    }
}
