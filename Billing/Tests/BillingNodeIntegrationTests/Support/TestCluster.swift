import Billing
import BillingNode
import ChildProcesses
import Foundation
import Glibc
import Logging
import PaymentSandbox

/// A payment sandbox in the test process and `billing node` processes on one SQLite coordination
/// file and one SQLite billing database in a fresh directory.
final class TestCluster: Sendable {
    static let adminToken = "test-admin-token"
    /// The subscriptions API's tokens of the read and the write scope.
    static let readToken = "test-read-token"
    static let writeToken = "test-write-token"
    /// The Stripe webhook signing secret the nodes accept (beside an old one being rotated out).
    static let webhookSecret = "whsec_test_nodes"

    let directory: String
    let sandbox: PaymentSandboxServer
    let sandboxURL: String
    let nodes: [NodeProcess]

    private init(directory: String, sandbox: PaymentSandboxServer, sandboxURL: String, nodes: [NodeProcess]) {
        self.directory = directory
        self.sandbox = sandbox
        self.sandboxURL = sandboxURL
        self.nodes = nodes
    }

    var database: String { "sqlite:\(directory)/billing.sqlite" }

    /// Runs `body` with a cluster of `count` nodes whose database holds `due` subscriptions due now;
    /// everything is stopped afterwards. `arguments` and `environment` are added to every node's.
    static func with<T: Sendable>(
        nodes count: Int, due: Int = 0, provider: String = "stripe", arguments extraArguments: [String] = [],
        environment extraEnvironment: [String: String] = [:],
        _ body: (TestCluster) async throws -> T
    ) async throws -> T {
        let directory = NSTemporaryDirectory() + "billing-node-tests-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        var logger = Logger(label: "test.sandbox")
        logger.logLevel = .error
        let sandbox = try PaymentSandboxServer(logger: logger)
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await sandbox.run() }
            defer { group.cancelAll() }
            let sandboxURL = try await sandbox.baseURL()
            try await seed(due: due, database: "sqlite:\(directory)/billing.sqlite", logger: logger)
            var nodes: [NodeProcess] = []
            for index in 1...count {
                let id = "node-\(index)"
                let port = try FreePort.pick()
                nodes.append(
                    try NodeProcess.spawn(
                        id: id, port: port,
                        arguments: [
                            "node", "--id", id, "--coordination", "sqlite:\(directory)/election.sqlite",
                            "--database", "sqlite:\(directory)/billing.sqlite", "--provider", provider,
                            "--provider-url", sandboxURL, "--http-port", String(port), "--rate-limit", "0",
                            "--parent-pid", String(getpid()),
                        ] + extraArguments,
                        environment: [
                            "STRIPE_API_KEY": "sk_test_nodes", "PAYPAL_CLIENT_ID": "client_nodes", "PAYPAL_CLIENT_SECRET": "secret_nodes",
                            "BILLING_ADMIN_TOKEN": adminToken, "BILLING_LOG_LEVEL": "info",
                            "BILLING_API_TOKENS": "read:\(readToken),write:\(writeToken)",
                            "STRIPE_WEBHOOK_SECRET": "whsec_old_secret,\(webhookSecret)",
                        ].merging(extraEnvironment) { $1 },
                        logPath: "\(directory)/\(id).log"
                    ))
            }
            let cluster = TestCluster(directory: directory, sandbox: sandbox, sandboxURL: sandboxURL, nodes: nodes)
            do {
                let result = try await body(cluster)
                for node in nodes { await node.stop() }
                try? FileManager.default.removeItem(atPath: directory)
                return result
            } catch {
                for node in nodes { await node.stop() }
                throw error
            }
        }
    }

    /// Subscriptions whose renewal is due now.
    private static func seed(due: Int, database: String, logger: Logger) async throws {
        try await BillingStoreURL(database).withStore(logger: logger) { store in
            let now = try await store.currentTime()
            let usd = try Currency(code: "USD")
            for index in 0..<due {
                let dueAt = now + .milliseconds(Int64(-index))
                let start = BillingCalendar.boundary(anchor: dueAt, interval: .monthly, index: -1)
                let subscription = Subscription(
                    id: "sub_test_\(index)", customer: "cus_\(index)",
                    plan: try Plan(interval: .monthly, price: Money(minorUnits: 999, currency: usd)),
                    status: .active, billingCycleAnchor: dueAt, currentPeriodStart: start, currentPeriodEnd: dueAt,
                    cancelAtPeriodEnd: false, paymentMethod: index % 5 == 0 ? "pm_card_chargeDeclined" : "pm_card_visa", retry: nil
                )
                try await store.saveSubscription(subscription.stored)
            }
        }
    }

    /// The statuses of the nodes that answer.
    func statuses(of nodes: [NodeProcess]? = nil) async -> [NodeStatus] {
        var statuses: [NodeStatus] = []
        for node in nodes ?? self.nodes {
            if let status = await HTTP.status(node.baseURL) { statuses.append(status) }
        }
        return statuses
    }

    /// The node that reports itself leader (with a token above `above`), once one does.
    func waitForLeader(
        among nodes: [NodeProcess]? = nil, tokenAbove above: Int64 = 0, timeout: Duration = .seconds(60)
    ) async -> (NodeProcess, NodeStatus)? {
        let candidates = nodes ?? self.nodes
        return await eventually(timeout: timeout) {
            for node in candidates {
                if let status = await HTTP.status(node.baseURL), status.role == "leader", (status.token ?? 0) > above {
                    return (node, status)
                }
            }
            return nil
        }
    }
}
