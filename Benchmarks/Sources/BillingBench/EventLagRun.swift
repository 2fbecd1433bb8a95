import BenchmarkSupport
import Billing
import BillingNode
import Foundation
import LeaderElectionStores
import Logging
import PaymentSandbox
import Synchronization

/// The outbox's end-to-end delivery lag at a steady renewal rate: a `BillingNode` in this process
/// (PostgreSQL billing database, the sandbox, an SQLite coordination file) renews subscriptions
/// that fall due at `rate` per second for `seconds`; its leader delivers their events to an
/// `EventReceiver` here. The lag of an event is the receiver's arrival time minus the event's
/// `created_ms` (the database's time of the write that made it), on one machine's clock.
///
/// The same run without event endpoints is the baseline: how late renewals are charged with and
/// without the relay beside the engine.
struct EventLagRun {
    let options: BenchOptions
    let deliverEvents: Bool
    let logger = Logger(label: "billing-bench", factory: { _ in SwiftLogNoOpLogHandler() })

    struct Result: Encodable, Sendable {
        var events: Bool
        var rate: Int
        var seconds: Int
        var renewals: Int
        /// Charges per second while renewals fell due (first to last charge).
        var renewalsPerSecond: Double
        /// How late each renewal was charged: the sandbox's time of the charge minus its due time.
        var lateness: Statistics
        /// Events received (first deliveries) and their lag.
        var eventsReceived: Int
        var lag: Statistics?
        var repeats: Int

        var line: String {
            let rate = String(format: "%.0f", renewalsPerSecond)
            let events = lag.map { "; events out \(eventsReceived) (repeats \(repeats)), lag \($0)" } ?? "; events out: off"
            return "events \(self.events ? "on " : "off"): \(renewals) renewals at \(rate)/s, lateness \(lateness)\(events)"
        }
    }

    func run() async throws -> Result {
        let count = options.eventRate * options.eventSeconds
        return try await withBenchStore(.postgres, options: options, logger: logger) { store, url in
            // Due `rate` per second, evenly, from a start that leaves time to seed them all (at
            // 1,000 rows a second or faster) and to elect the node.
            let start = try await store.currentTime() + .seconds(5) + .milliseconds(Int64(count))
            let dueTimes = (0..<count).map { start + .microseconds(Int64($0) * 1_000_000 / Int64(options.eventRate)) }
            try await seed(store, dueTimes: dueTimes)
            let early = try await store.currentTime().duration(to: start)
            guard early > .seconds(1) else {
                throw BenchOptions.UsageError(description: "seeding took too long: the first renewal was due \(early) after it ended")
            }
            let sandbox = try PaymentSandboxServer(logger: logger)
            let arrivals = Mutex<[Double]>([])
            let secret = "whsec_bench_events"
            let receiver = EventReceiver(secret: secret, logger: logger) { delivery in
                guard !delivery.isRepeat,
                    let event = try? JSONSerialization.jsonObject(with: Data(delivery.body)) as? [String: Any],
                    let created = (event["created_ms"] as? NSNumber)?.doubleValue
                else { return }
                let lag = Date().timeIntervalSince1970 * 1000 - created
                arrivals.withLock { $0.append(lag) }
            }
            return try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await sandbox.run() }
                group.addTask { try await receiver.run() }
                defer { group.cancelAll() }
                let sandboxURL = try await sandbox.baseURL()
                var port: Int?
                while port == nil {
                    port = receiver.port
                    try await Task.sleep(for: .milliseconds(10))
                }
                let directory = FileManager.default.temporaryDirectory.appendingPathComponent("billing-bench-\(UUID().uuidString)")
                try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
                defer { try? FileManager.default.removeItem(at: directory) }
                var configuration = BillingNode.Configuration(
                    nodeID: "bench", coordination: try StoreURL("sqlite:\(directory.path)/election.sqlite"),
                    database: url, provider: .stripe, providerURL: sandboxURL)
                configuration.httpPort = 0
                configuration.engine.providerRequestsPerSecond = nil
                configuration.engine.maxConcurrentRenewals = options.concurrency
                configuration.engine.batchSize = 1000
                if deliverEvents {
                    configuration.eventEndpoints = ["http://127.0.0.1:\(port!)/events"]
                    configuration.eventSecret = secret
                }
                let launched = configuration
                group.addTask {
                    try await BillingNode.runUntilShutdown(
                        configuration: launched, environment: ["STRIPE_API_KEY": "sk_test_bench"], logger: logger)
                }
                // Until every renewal is charged and (with events) both its events arrived.
                let deadline = ContinuousClock.now + .seconds(options.eventSeconds * 4 + 60)
                while ContinuousClock.now < deadline {
                    let charged = sandbox.ledger().count
                    let received = arrivals.withLock { $0.count }
                    if charged >= count, !deliverEvents || received >= 2 * count { break }
                    try await Task.sleep(for: .milliseconds(200))
                }
                let ledger = sandbox.ledger()
                let dueByID = Dictionary(uniqueKeysWithValues: zip((0..<count).map { String(format: "sub_%06d", $0) }, dueTimes))
                let lateness = ledger.compactMap { entry -> Double? in
                    guard let id = entry.metadata["subscription_id"], let due = dueByID[id] else { return nil }
                    return Double(entry.appliedAtMs - due.millisecondsSinceEpoch)
                }
                let applied = ledger.map(\.appliedAtMs)
                let span = Double((applied.max() ?? 0) - (applied.min() ?? 0)) / 1000
                let lags = arrivals.withLock { $0 }
                return Result(
                    events: deliverEvents, rate: options.eventRate, seconds: options.eventSeconds, renewals: ledger.count,
                    renewalsPerSecond: span > 0 ? Double(ledger.count) / span : 0, lateness: Statistics(lateness),
                    eventsReceived: lags.count, lag: deliverEvents ? Statistics(lags) : nil,
                    repeats: receiver.deliveries.count - lags.count)
            }
        }
    }

    /// Monthly subscriptions whose current period ends at each of `dueTimes`.
    private func seed(_ store: any BillingStore, dueTimes: [Timestamp]) async throws {
        let plan = try Plan(interval: .monthly, price: Money(minorUnits: 1999, currency: .usd))
        try await withThrowingTaskGroup(of: Void.self) { group in
            for writer in 0..<8 {
                group.addTask {
                    for index in stride(from: writer, to: dueTimes.count, by: 8) {
                        let due = dueTimes[index]
                        let subscription = Subscription(
                            id: String(format: "sub_%06d", index), customer: "cus_\(index)", plan: plan, status: .active,
                            billingCycleAnchor: due,
                            currentPeriodStart: BillingCalendar.boundary(anchor: due, interval: .monthly, index: -1),
                            currentPeriodEnd: due, cancelAtPeriodEnd: false, paymentMethod: "pm_card_visa", retry: nil)
                        try await store.saveSubscription(subscription.stored)
                    }
                }
            }
            try await group.waitForAll()
        }
    }
}
