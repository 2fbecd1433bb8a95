import ArgumentParser
import Billing
import BillingNode
import ChildProcesses
import Foundation
import Glibc
import LeaderElection
import LeaderElectionStores
import Logging
import PaymentSandbox

/// `billing demo`: the payment sandbox and N replicas on one coordination store and one billing
/// database, thousands of renewals falling due, the leader killed and paused, and an audit.
struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Run five replicas against a payment sandbox, crash and pause the leader, and audit every charge.",
        discussion: """
            Starts the payment sandbox and --nodes 'billing node' processes on one SQLite \
            coordination file and one SQLite billing database in a temporary directory, seeds \
            --subscriptions subscriptions whose renewals fall due during the run (monthly and \
            annual, some with cards that decline, a few that need their customer to authenticate \
            and a few bank debits that settle later), and every few seconds kills the leader \
            (SIGKILL, then restarts it) or pauses it (SIGSTOP) past its lease and resumes it. \
            The sandbox reports the asynchronous outcomes by webhook to every node; the nodes \
            send their events to a receiver in the demo. At the end it audits the sandbox's \
            ledger, the database and the events, and exits 1 on any double or missed charge or \
            undelivered event.
            """
    )

    @Option(help: "How long to run, in seconds.")
    var duration: Int = 60

    @Option(help: "How many replicas.")
    var nodes: Int = 5

    @Option(help: "How many subscriptions to seed; all fall due during the run.")
    var subscriptions: Int = 3000

    @Flag(help: "Do not kill or pause anything.")
    var noChaos = false

    @Flag(help: "Print the final audit as one JSON object on standard output (progress goes to standard error).")
    var json = false

    @Option(help: "The coordination store (default: sqlite:DIR/election.sqlite); e.g. etcd://127.0.0.1:2379.")
    var coordination: String?

    @Option(
        help: "The billing database (default: sqlite:DIR/billing.sqlite); e.g. postgres://USER:PASSWORD@HOST/DB; use a fresh, empty one.")
    var database: String?

    @Option(help: "The lease TTL of the nodes, in seconds.")
    var leaseTTL: Double = 5

    @Option(help: "The dashboard's port; 0 picks a free one.")
    var dashboardPort: Int = 0

    @Option(help: "Seed for the subscriptions' due times and cards.")
    var seed: UInt64 = 42

    func validate() throws {
        guard duration >= 10 else { throw ValidationError("--duration must be at least 10 seconds") }
        guard (1...20).contains(nodes) else { throw ValidationError("--nodes must be between 1 and 20") }
        guard (1...200_000).contains(subscriptions) else { throw ValidationError("--subscriptions must be between 1 and 200000") }
        guard leaseTTL >= 1, leaseTTL <= 60 else { throw ValidationError("--lease-ttl must be between 1 and 60 seconds") }
    }

    func run() async throws {
        let toStandardError = json
        let say: @Sendable (String) -> Void = { line in
            let handle = toStandardError ? FileHandle.standardError : FileHandle.standardOutput
            handle.write(Data((line + "\n").utf8))
        }
        var template = Array("/tmp/billing-demo.XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else { throw CLIError("cannot create a temporary directory in /tmp") }
        let directory = String(cString: made)
        let coordinationText = coordination ?? "sqlite:\(directory)/election.sqlite"
        let databaseText = database ?? "sqlite:\(directory)/billing.sqlite"
        do { _ = try StoreURL(coordinationText) } catch let error as ElectionError { throw CLIError("--coordination: \(error.message)") }
        let databaseURL: BillingStoreURL
        do { databaseURL = try BillingStoreURL(databaseText) } catch { throw CLIError("--database: \(error.message)") }

        var logger = Logger(label: "billing.demo")
        // The sandbox and the dashboard log a cancelled connection as an error when the demo ends.
        logger.logLevel = .critical
        let sandbox = try PaymentSandboxServer(configuration: .init(), logger: logger)
        let webhookSecret = "whsec_demo_" + (0..<2).map { _ in String(UInt64.random(in: .min ... .max), radix: 16) }.joined()
        let eventSecret = "whsec_events_" + (0..<2).map { _ in String(UInt64.random(in: .min ... .max), radix: 16) }.joined()
        // The business's endpoint: prints what needs the business (a customer to bring back), counts the rest.
        let receiver = EventReceiver(secret: eventSecret, logger: logger) { delivery in
            guard !delivery.isRepeat, delivery.type == "subscription.action_required" || delivery.type == "charge.needs_review" else {
                return
            }
            say("event \(delivery.id) \(delivery.type) \(delivery.subscriptionID ?? "")\(Self.actionSummary(delivery.body))")
        }
        let executable = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        let adminToken = (0..<4).map { _ in String(UInt64.random(in: .min ... .max), radix: 16) }.joined()
        let ttl = leaseTTL

        let result = try await withThrowingTaskGroup(of: Void.self, returning: DemoResult.self) { group in
            group.addTask { try await sandbox.run() }
            group.addTask { try await receiver.run() }
            let sandboxURL = try await sandbox.baseURL()
            say("payment sandbox at \(sandboxURL); files in \(directory)")
            var receiverPort: Int?
            for _ in 0..<250 where receiverPort == nil {
                receiverPort = receiver.port
                if receiverPort == nil { try await Task.sleep(for: .milliseconds(20)) }
            }
            guard let receiverPort else { throw CLIError("the demo's event receiver did not start listening") }
            say(
                "events out go to http://127.0.0.1:\(receiverPort)/events (signed; the demo's receiver prints those that need the business)"
            )

            // Seed: every renewal falls due between 5 s and 70% of the run from now.
            var random = SplitMix64(seed: seed)
            let spread = Int64(Double(duration) * 0.65 * 1000)
            let due = try await databaseURL.withStore(logger: logger) { store in
                let now = try await store.currentTime()
                return try await DemoSeeder.seed(
                    count: subscriptions, from: now + .seconds(5), until: now + .milliseconds(5000 + spread), store: store, random: &random
                )
            }
            say("seeded \(due.count) subscriptions into \(databaseURL); their renewals fall due over the next \(5 + spread / 1000) s")

            var environment = ProcessInfo.processInfo.environment
            environment["STRIPE_API_KEY"] = "sk_test_billing_demo"
            environment["BILLING_ADMIN_TOKEN"] = adminToken
            environment["BILLING_LOG_LEVEL"] = environment["BILLING_LOG_LEVEL"] ?? "notice"
            environment["STRIPE_WEBHOOK_SECRET"] = webhookSecret
            environment["BILLING_EVENT_ENDPOINTS"] = "http://127.0.0.1:\(receiverPort)/events"
            environment["BILLING_EVENT_SECRET"] = eventSecret
            let environmentCopy = environment
            let parent = getpid()
            let demoNodes = try (1...nodes).map { index -> DemoNode in
                let id = "node-\(index)"
                let port: Int
                do { port = try FreePort.pick() } catch { throw CLIError("\(error)") }
                let logPath = "\(directory)/\(id).log"
                let arguments = [
                    "node", "--id", id, "--coordination", coordinationText, "--database", databaseText,
                    "--provider", "stripe", "--provider-url", sandboxURL, "--http-port", String(port),
                    "--lease-ttl", String(ttl), "--rate-limit", "0", "--parent-pid", String(parent),
                    // A charge whose webhook was lost is looked up after 5 s (an hour in production).
                    "--settlement-lookup", "5",
                ]
                return DemoNode(id: id, port: port, logPath: logPath) {
                    do {
                        return try ChildProcess.spawn(
                            executable, arguments,
                            options: .init(
                                input: .null, output: .append(toFile: logPath), error: .sameAsOutput,
                                environment: .exactly(environmentCopy)
                            ))
                    } catch {
                        throw CLIError("\(error)")
                    }
                }
            }
            for node in demoNodes { try node.start() }
            // The sandbox tells every node what becomes of the asynchronous charges, as Stripe
            // would tell a load balancer: duplicated and reordered now and then.
            try sandbox.configureWebhooks(
                WebhookSettings(
                    endpoints: demoNodes.map { "\($0.baseURL)/webhooks/stripe" }, secret: webhookSecret,
                    faults: WebhookFaults(duplicate: 0.2, reorder: 0.1, delay: 0.1, delaySeconds: 1)))
            group.addTask { await DemoCustomers(sandbox: sandbox, say: say).run() }
            let monitor = ClusterMonitor(nodes: demoNodes, say: say)
            group.addTask { await monitor.run() }

            let dueCount = due.count
            let dashboard = DashboardServer(port: dashboardPort, logger: logger) {
                let ledger = sandbox.ledger()
                let figures = DemoFigures(
                    due: dueCount, applied: ledger.count, declined: ledger.count { $0.status == "declined" },
                    failoverSeconds: monitor.failoverSeconds, events: monitor.events
                )
                return ClusterStatus(nodes: monitor.statuses, demo: figures)
            }
            group.addTask { try await dashboard.run() }
            for _ in 0..<100 where dashboard.boundPort == nil { try await Task.sleep(for: .milliseconds(20)) }
            if let port = dashboard.boundPort {
                say("dashboard: http://127.0.0.1:\(port)/  (each node serves one too: \(demoNodes[0].baseURL)/)")
            }

            guard await monitor.waitForLeader(timeout: .seconds(60)) != nil else {
                for node in demoNodes { _ = await node.terminate(grace: .seconds(2)) }
                let hint =
                    (try? String(contentsOfFile: demoNodes[0].logPath, encoding: .utf8))?
                    .split(separator: "\n").last { $0.contains("error") }.map { ": \($0)" } ?? ""
                throw CLIError("no node became leader within 60 s; see the nodes' logs in \(directory)\(hint)")
            }

            let clock = ContinuousClock()
            let start = clock.now
            let end = start + .seconds(duration)
            group.addTask {
                await Self.showProgress(monitor: monitor, sandbox: sandbox, due: dueCount, say: say)
            }
            if noChaos {
                try await clock.sleep(until: end)
            } else {
                await Self.chaos(monitor: monitor, nodes: demoNodes, until: end, ttl: .milliseconds(Int64(ttl * 1000)))
                try await clock.sleep(until: end)
            }

            // Let the cluster finish what fell due, then stop every node the polite way.
            for node in demoNodes where node.current == .down { try? node.start() }
            for node in demoNodes { node.resume() }
            let drainEnd = clock.now + .seconds(60)
            try await databaseURL.withStore(logger: logger) { store in
                while clock.now < drainEnd {
                    let ledger = sandbox.ledger()
                    let charged = Set(
                        ledger.compactMap { entry in
                            entry.metadata["subscription_id"].flatMap { id in
                                entry.metadata["period_start"].map { RenewalID(subscriptionID: id, periodStart: $0) }
                            }
                        })
                    // Done when every renewal was charged, every asynchronous charge completed, and
                    // every event delivered (the audit below checks the receiver got each one).
                    let waiting = ledger.contains { $0.status == "requires_action" || $0.status == "processing" }
                    let undelivered = try? await store.outboxBacklog().undelivered
                    if due.isSubset(of: charged), !waiting, undelivered == 0 { break }
                    try await Task.sleep(for: .milliseconds(200))
                }
            }
            let applied = sandbox.ledger().count
            let elapsed = ClusterMonitor.seconds(clock.now - start)
            say("stopping the nodes with SIGTERM")
            var finalStatuses: [String: Int32?] = [:]
            await withTaskGroup(of: (String, Int32?).self) { stops in
                for node in demoNodes {
                    stops.addTask { (node.id, await node.terminate(grace: .seconds(20))) }
                }
                for await (id, status) in stops { finalStatuses[id] = status }
            }
            let (charges, events) = try await databaseURL.withStore(logger: logger) { store in
                (try await store.allCharges(), try await store.events(after: nil, subscriptionID: nil, limit: Int.max))
            }
            let deliveries = receiver.deliveries
            let delivered = Set(deliveries.map(\.id)).intersection(events.map(\.id)).count
            let audit = ChargeAudit(dueRenewals: due, ledger: sandbox.ledger(), charges: charges)
            group.cancelAll()
            return DemoResult(
                audit: audit, failoverSeconds: monitor.failoverSeconds, leaseTTLSeconds: ttl,
                renewalsPerSecond: elapsed > 0 ? Double(applied) / elapsed : 0,
                nodeExitStatuses: Dictionary(uniqueKeysWithValues: demoNodes.map { ($0.id, $0.exitStatuses) }),
                nodesStoppedCleanly: finalStatuses.values.allSatisfy { $0 == 0 },
                events: (events.count, delivered, deliveries.count { $0.isRepeat }), directory: directory
            )
        }

        if json {
            try JSONOutput.print(result)
        } else {
            print("")
            print("== audit (sandbox ledger and billing database)")
            print(ChargeAudit.summaryLines(result))
            let failovers = result.failoverSeconds.map { String(format: "%.2f s", $0) }.joined(separator: ", ")
            print(
                "failovers             \(result.failoverSeconds.count)\(failovers.isEmpty ? "" : ": " + failovers) (lease TTL \(String(format: "%.1f", ttl)) s)"
            )
            print(String(format: "renewals per second   %.1f (average over the run)", result.renewalsPerSecond))
            print(
                "events out            \(result.eventsDelivered) of \(result.eventsWritten) delivered, signed, to the business's endpoint (\(result.eventRepeats) repeat deliveries, deduplicated by id)"
            )
            print("nodes stopped cleanly \(result.nodesStoppedCleanly ? "yes (exit 0 on SIGTERM)" : "NO: \(result.nodeExitStatuses)")")
            print(
                result.clean ? "audit clean: every due renewal was charged exactly once" : "AUDIT FAILED: see above; files in \(directory)")
        }
        if !result.clean { throw ExitCode(1) }
    }

    /// Kills (SIGKILL, then restarts) or pauses (SIGSTOP past the lease, then SIGCONT) the
    /// leader, alternately, until too little time is left for another failover.
    static func chaos(monitor: ClusterMonitor, nodes: [DemoNode], until end: ContinuousClock.Instant, ttl: Duration) async {
        let clock = ContinuousClock()
        var kill = true
        try? await Task.sleep(for: .seconds(4))
        while clock.now + ttl * 2 + .seconds(2) < end, !Task.isCancelled {
            guard let leader = await monitor.waitForLeader(timeout: .seconds(15)),
                let node = nodes.first(where: { $0.id == leader.nodeID }), let pid = node.pid
            else { continue }
            if kill {
                monitor.event("chaos: SIGKILL \(node.id) (pid \(pid)), the leader with token \(leader.token)")
                monitor.failoverStarted(fromToken: leader.token)
                await node.kill()
                if await monitor.waitForFailover(timeout: ttl * 4) == nil { monitor.event("no failover within \(ttl * 4)") }
                do {
                    try node.start()
                    monitor.event("restarted \(node.id) (pid \(node.pid ?? 0))")
                } catch {
                    monitor.event("could not restart \(node.id): \(error)")
                }
            } else {
                monitor.event("chaos: SIGSTOP \(node.id) (pid \(pid)), the leader with token \(leader.token), past its lease")
                let stoppedAt = clock.now
                monitor.failoverStarted(fromToken: leader.token)
                node.pause()
                if await monitor.waitForFailover(timeout: ttl * 4) == nil { monitor.event("no failover within \(ttl * 4)") }
                try? await clock.sleep(until: stoppedAt + ttl + .seconds(1))
                node.resume()
                monitor.event("SIGCONT \(node.id): it wakes past its lease, fenced off, and follows")
            }
            kill.toggle()
            try? await Task.sleep(for: .seconds(3))
        }
    }

    /// ` (PaymentIntent pi_..., client secret pi_..._secret_...)` from an action-required event's body.
    static func actionSummary(_ body: [UInt8]) -> String {
        guard let event = try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any],
            let data = event["data"] as? [String: Any], let reference = data["provider_reference"] as? String
        else { return "" }
        let secret = (data["customer_action"] as? [String: Any])?["client_secret"] as? String
        return ": bring the customer back to PaymentIntent \(reference)\(secret.map { " (client secret \($0.prefix(24))...)" } ?? "")"
    }

    /// A progress line every two seconds until cancelled.
    static func showProgress(monitor: ClusterMonitor, sandbox: PaymentSandboxServer, due: Int, say: @Sendable (String) -> Void) async {
        var last = 0
        while !Task.isCancelled {
            guard (try? await Task.sleep(for: .seconds(2))) != nil else { return }
            let ledger = sandbox.ledger()
            let declined = ledger.count { $0.status == "declined" }
            let retries = monitor.statuses.reduce(0) { $0 + $1.engine.providerRetries }
            let leader = monitor.leader
            let lease = leader?.leaseRemainingMs.map { String(format: "%.1f s", Double($0) / 1000) } ?? "-"
            let leaderText = leader.map { "\($0.nodeID) token \($0.token) lease \(lease)" } ?? "none"
            let clock = String(format: "[%6.1fs]", monitor.elapsed)
            let rate = String(format: "%.0f", Double(ledger.count - last) / 2)
            say(
                "\(clock) leader \(leaderText) | charged \(ledger.count - declined), declined \(declined) of \(due) due | provider retries \(retries) | \(rate)/s"
            )
            last = ledger.count
        }
    }
}

extension ChargeAudit {
    /// The text lines of a demo result's audit.
    static func summaryLines(_ result: DemoResult) -> String {
        var lines = [
            "renewals due          \(result.due)",
            "charged exactly once  \(result.chargedOnce)  (succeeded \(result.succeeded), declined \(result.declined))",
            "double charges        \(result.doubleCharges)",
            "missed                \(result.missed)",
            "unexpected charges    \(result.unexpected)",
            "unresolved in the db  \(result.unresolvedInDatabase), db/ledger mismatches \(result.databaseMismatches)",
        ]
        lines += result.problems.prefix(10).map { "  - \($0)" }
        return lines.joined(separator: "\n")
    }
}
