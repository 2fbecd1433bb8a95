import ArgumentParser
import AsyncHTTPClient
import Billing
import BillingNode
import Foundation
import Logging
import PaymentSandbox
import Synchronization

/// `billing-chaos`: brings up a coordination store (three etcd members, a three-server ZooKeeper
/// ensemble, or a PostgreSQL server of its own), the billing database (PostgreSQL), the payment
/// sandbox and five `billing node` processes (each in a network namespace of its own when the
/// machine allows, otherwise behind TCP proxies of its own on loopback), drives a steady load of
/// due renewals, injects faults on a seeded schedule, watches the coordination store's record of
/// who leads, and checks the sandbox's ledger, the database, that record and the nodes' event
/// logs afterwards.
@main
struct ChaosCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "billing-chaos",
        abstract:
            "Inject crashes, pauses, partitions and provider faults into a five-node billing cluster and check that every renewal was charged exactly once.",
        discussion: """
            Needs root for network namespaces (otherwise it runs on loopback with each node behind \
            TCP proxies of its own, which cut its partitions, without the faults between coordination \
            servers; the report says which network it had), Debian's etcd-server, zookeeper and postgresql, and the \
            'billing' executable (by default the one beside this program). Writes report.json and summary.txt to \
            --output. Exit status: 0 when the run kept every promise (for a --control run: when \
            the checker caught the deliberate defect), 1 otherwise.
            """
    )

    enum Tier: String, ExpressibleByArgument, CaseIterable {
        case short, long
    }

    enum Control: String, ExpressibleByArgument, CaseIterable {
        case none
        case noFencing = "no-fencing"
        case newKeyPerAttempt = "new-key-per-attempt"
        case renewByPing = "renew-by-ping"
        case retryableClosesCharge = "retryable-closes-charge"

        /// The signal that must catch this control; nil for the real thing.
        var signal: ControlSignal? {
            switch self {
            case .none: nil
            case .noFencing: .staleWrite
            case .newKeyPerAttempt: .doubleCharge
            case .renewByPing: .overlap
            case .retryableClosesCharge: .doubleCharge
            }
        }
    }

    @Option(help: "short (about 2 minutes of faults) or long (30 minutes). --duration and --rate override it.")
    var tier: Tier = .short

    @Option(help: "Seconds of the fault phase.")
    var duration: Int?

    @Option(help: "Renewals falling due per second during the fault phase.")
    var rate: Int?

    @Option(help: "The seed of the fault schedule, the subscriptions and the sandbox's faults.")
    var seed: UInt64 = 1

    @Option(
        help:
            "The coordination store: etcd (three members), zookeeper (three servers), postgres (a server of its own) or sqlite (a file on one host, with the billing database an SQLite file too)."
    )
    var coordination: CoordinationKind = .etcd

    @Option(help: "The nodes' lease TTL in seconds.")
    var leaseTTL: Double = 2

    @Option(help: "How many billing nodes.")
    var nodes: Int = 5

    @Option(
        help:
            "namespaces, proxy (TCP proxies on loopback, no faults between coordination servers), loopback (no partitions), or auto (namespaces when possible, else proxy)."
    )
    var network: String = "auto"

    @Option(
        help:
            "Run the nodes with a deliberate defect that the checker must catch: none, no-fencing, new-key-per-attempt, renew-by-ping (zookeeper only), retryable-closes-charge."
    )
    var control: Control = .none

    @Option(help: "Only these fault kinds, comma-separated (default: all the network mode allows).")
    var faults: String?

    @Option(help: "Leave these fault kinds out, comma-separated.")
    var skipFaults: String?

    @Option(help: "The nodes' dunning schedule (billing node --dunning): short, so that declined renewals go through it within a run.")
    var dunning: String = "4s,8s,12s"

    @Option(help: "Seconds to wait after the fault phase for every due renewal to be charged.")
    var quietPeriod: Int = 120

    @Option(help: "Where report.json and summary.txt go.")
    var output: String = "chaos-results"

    @Option(help: "The billing executable (default: the one beside this program).")
    var billing: String?

    func validate() throws {
        guard (3...9).contains(nodes) else { throw ValidationError("--nodes must be between 3 and 9") }
        guard leaseTTL >= 1, leaseTTL <= 30 else { throw ValidationError("--lease-ttl must be between 1 and 30 seconds") }
        guard ["auto", "namespaces", "proxy", "loopback"].contains(network) else {
            throw ValidationError("--network must be auto, namespaces, proxy or loopback")
        }
        if let duration { guard duration >= 20 else { throw ValidationError("--duration must be at least 20 seconds") } }
        if let rate {
            guard (1...500).contains(rate) else { throw ValidationError("--rate must be between 1 and 500 renewals per second") }
        }
        do {
            _ = try DunningSchedule(parsing: dunning)
        } catch {
            throw ValidationError("--dunning: \(error.message)")
        }
        if control == .renewByPing, coordination != .zookeeper {
            throw ValidationError("--control renew-by-ping puts back a ZooKeeper renewal; use it with --coordination zookeeper")
        }
        for list in [faults, skipFaults].compactMap({ $0 }) {
            for name in list.split(separator: ",") where FaultKind(rawValue: String(name)) == nil {
                throw ValidationError("unknown fault kind '\(name)'; use \(FaultKind.allCases.map(\.rawValue).joined(separator: ", "))")
            }
        }
    }

    func run() async throws {
        let say: @Sendable (String) -> Void = { line in
            FileHandle.standardError.write(Data("[chaos \(Self.clockText())] \(line)\n".utf8))
        }
        let phaseSeconds = duration ?? (tier == .short ? 120 : 1800)
        let renewalsPerSecond = rate ?? 15
        let executable = try billingExecutable()
        var template = Array("/tmp/billing-chaos.XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else { throw HarnessError("cannot create a temporary directory in /tmp") }
        let directory = String(cString: made)
        chmod(directory, 0o755)
        say("records in \(directory)")

        var random = SplitMix64(seed: seed)
        let servers = coordination == .postgres || coordination == .sqlite ? 1 : 3
        // SQLite's nodes share files on one host: nothing to partition.
        if coordination == .sqlite, network != "loopback" { say("the SQLite tier runs on one host: network loopback") }
        let lab = try await NetworkLab.make(
            requested: coordination == .sqlite ? .loopback : NetworkLab.Mode(rawValue: network), nodes: nodes, members: servers, say: say)
        defer { lab.tearDown() }
        say("network: \(lab.mode.rawValue)")
        let kinds = try faultKinds(lab: lab)

        var logger = Logger(label: "billing.chaos")
        logger.logLevel = .critical
        let probe = HTTPProbe(client: HTTPClient.shared)

        let database: any BillingDatabase
        var databaseClock: FakeClock?
        var databaseVolume: SmallVolume?
        defer { databaseVolume?.unmount() }
        if coordination == .sqlite {
            database = SQLiteBillingFile(path: "\(directory)/billing.sqlite")
        } else {
            try FileManager.default.createDirectory(atPath: "\(directory)/pg", withIntermediateDirectories: true)
            databaseClock = FakeClock.preload == nil ? nil : try FakeClock(file: "\(directory)/pg/billing-database.faketime")
            if SmallVolume.available, kinds.contains(.databaseDiskFull) {
                databaseVolume = try SmallVolume(path: "\(directory)/pg/data", megabytes: 2048, owner: "postgres")
            }
            let postgres = try PostgresInstance(
                directory: "\(directory)/pg", listenAddresses: lab.databaseListenAddresses, port: lab.databasePort,
                clock: databaseClock)
            try await postgres.start()
            try postgres.createDatabase()
            database = postgres
        }
        let store: any CoordinationCluster
        switch coordination {
        case .etcd:
            store = try EtcdCluster(lab: lab, directory: directory, token: "chaos-\(seed)", probe: probe)
            try await store.startAll()
        case .zookeeper:
            store = try ZooKeeperEnsemble(lab: lab, directory: directory)
            try await store.startAll()
        case .postgres:
            let postgresStore = try PostgresCoordination(lab: lab, directory: directory)
            try await postgresStore.start()
            store = postgresStore
        case .sqlite:
            store = SQLiteCoordination(path: "\(directory)/election.sqlite")
        }
        guard await store.waitForLeader(timeout: .seconds(60)) != nil else {
            throw HarnessError("the \(coordination.rawValue) store elected no leading server within 60 s; see the logs in \(directory)")
        }
        say("coordination: \(coordination.rawValue), \(store.servers.count) server(s)")
        let observer = LeadershipObserver(url: store.observerURL)
        let sandbox = try PaymentSandboxServer(configuration: .init(host: lab.sandboxListenAddress), logger: logger)

        let report = try await withThrowingTaskGroup(of: Void.self, returning: RunReport.self) { group in
            group.addTask { try await sandbox.run() }
            group.addTask { await observer.run() }
            let sandboxPort = try await sandbox.port()
            let databaseURL = try BillingStoreURL(database.url(host: "127.0.0.1", port: nil))

            // Renewals fall due from 8 s from now; the first 30 s of them are saved before the
            // nodes start and the rest while they run, so that the load starts on time however
            // long saving 30,000 rows takes. Catching-up subscriptions are saved at their moment.
            let (seeded, firstLater) = try await databaseURL.withStore(logger: logger) { store in
                let start = try await store.currentTime() + .seconds(8)
                let count = renewalsPerSecond * (phaseSeconds + 15)
                let seeded = try RenewalSeeder.plan(
                    count: count, from: start, until: start + .seconds(Int64(phaseSeconds + 15)), random: &random)
                let ahead = seeded.filter { $0.saveAtMs == nil }
                let firstLater = min(ahead.count, ahead.count * 30 / (phaseSeconds + 15))
                try await RenewalSeeder.save(ahead[..<firstLater].map(\.subscription), to: store)
                return (seeded, firstLater)
            }
            let ahead = seeded.filter { $0.saveAtMs == nil }
            let catchingUp = seeded.filter { $0.saveAtMs != nil }
            // The database's own record of every write and fence, from here on.
            try database.query(WriteAudit.installation(database.dialect))
            let seedingLogger = logger
            async let laterSaved: Void = databaseURL.withStore(logger: seedingLogger) { store in
                try await RenewalSeeder.save(ahead[firstLater...].map(\.subscription), to: store)
            }
            async let catchingUpSaved: [String: Int64] = databaseURL.withStore(logger: seedingLogger) { store in
                try await RenewalSeeder.saveOnTime(catchingUp, to: store)
            }
            let dueRenewals = Set(
                seeded.flatMap { item in
                    item.duePeriodStarts.map { RenewalID(subscriptionID: item.subscription.id, periodStart: $0.iso8601) }
                })
            say(
                "seeding \(dueRenewals.count) renewals of \(seeded.count) subscriptions (\(catchingUp.count) catching up on several periods) falling due over the \(phaseSeconds) s fault phase and 15 s beyond"
            )

            var environment = [
                "PATH": "/usr/bin:/bin", "STRIPE_API_KEY": "sk_test_chaos", "BILLING_LOG_LEVEL": "notice",
                "BILLING_PROVIDER_TIMEOUT": String(Self.providerTimeoutSeconds), "BILLING_DUNNING": dunning,
            ]
            if control != .none { environment["BILLING_NEGATIVE_CONTROL"] = control.rawValue }
            let chaosNodes = try (1...nodes).map { index in
                let endpoint = database.server.map { lab.databaseEndpoint(forNode: index, serverPort: $0.port) }
                return try ChaosNode(
                    index: index, executable: executable, lab: lab, coordination: store.coordinationURL(forNode: index),
                    database: database.url(host: endpoint?.host ?? "127.0.0.1", port: endpoint?.port),
                    sandboxURL: "http://\(lab.sandboxAddress(forNode: index)):\(sandboxPort)", leaseTTL: leaseTTL,
                    directory: directory, environment: environment
                )
            }
            for node in chaosNodes { try node.start() }
            let cluster = ChaosCluster(
                lab: lab, database: database, databaseClock: databaseClock, databaseVolume: databaseVolume, coordination: store,
                observer: observer, sandbox: sandbox,
                sandboxPort: sandboxPort,
                providerOutage: .seconds(Self.providerTimeoutSeconds * 3 + 7), nodes: chaosNodes, probe: probe,
                leaseTTL: .milliseconds(Int64(leaseTTL * 1000))
            )
            guard let first = await cluster.waitForLeader(above: nil, timeout: .seconds(60)) else {
                await cluster.stopAll()
                throw HarnessError("no node became leader within 60 s; see \(directory)/node-*.log")
            }
            say("\(first.node.id) leads with token \(first.token)")
            // The supervisor (what systemd or Kubernetes is in production): a node that exits by
            // itself with an error is started again.
            let selfExits = Counter()
            group.addTask {
                while !Task.isCancelled {
                    try await Task.sleep(for: .milliseconds(500))
                    for node in chaosNodes {
                        guard let status = node.process.reapIfFailed() else { continue }
                        selfExits.increment()
                        say("\(node.id) exited by itself with status \(status); restarting it")
                        try node.start()
                    }
                }
            }

            // The fault phase.
            let injector = FaultInjector(cluster: cluster)
            let clock = ContinuousClock()
            let phaseEnd = clock.now + .seconds(phaseSeconds + 8)
            var records: [FaultRecord] = []
            try await Task.sleep(for: .seconds(8))
            while clock.now < phaseEnd {
                let kind = Self.pick(kinds, random: &random)
                let record = try await injector.inject(kind, random: &random)
                records.append(record)
                say("\(record.confirmed ? "confirmed" : "NOT CONFIRMED") \(kind.rawValue): \(record.detail)")
                _ = await cluster.waitForLeader(above: nil, timeout: .seconds(30))
                try await Task.sleep(for: .milliseconds(Int64.random(in: 500...2500, using: &random)))
            }

            // Heal, then let the cluster charge whatever fell due.
            try await cluster.healEverything()
            try await laterSaved
            let savedAt = try await catchingUpSaved
            // When each renewal fell due: its period's start, or, catching up, when it was saved.
            var due: [RenewalID: Int64] = [:]
            for item in seeded {
                for start in item.duePeriodStarts {
                    due[RenewalID(subscriptionID: item.subscription.id, periodStart: start.iso8601)] =
                        savedAt[item.subscription.id] ?? start.millisecondsSinceEpoch
                }
            }
            say("fault phase over after \(records.count) faults; healed; waiting up to \(quietPeriod) s for every due renewal")
            let quietStart = clock.now
            var settled = false
            while clock.now < quietStart + .seconds(quietPeriod) {
                let charged = Set(
                    sandbox.ledger().compactMap { entry in
                        entry.metadata["subscription_id"].flatMap { id in
                            entry.metadata["period_start"].map { RenewalID(subscriptionID: id, periodStart: $0) }
                        }
                    })
                if dueRenewals.allSatisfy(charged.contains) {
                    let open = try? await databaseURL.withStore(logger: logger) { try await $0.unresolvedCharges(after: nil, limit: 1) }
                    // And dunning over: every declined subscription went through its schedule.
                    let pastDue = try? database.query("SELECT count(*) FROM subscriptions WHERE status = 'past_due'")
                    if open?.isEmpty == true, pastDue?.trimmingCharacters(in: .whitespacesAndNewlines) == "0" { settled = true; break }
                }
                try await Task.sleep(for: .seconds(1))
            }
            let quietSeconds = Self.seconds(clock.now - quietStart)
            say(settled ? "settled after \(Int(quietSeconds)) s" : "not settled after \(quietPeriod) s")

            let charges = try await databaseURL.withStore(logger: logger) { try await $0.allCharges() }
            let writes = try WriteAudit.parse(try database.query(WriteAudit.query))
            let rows = try SubscriptionModel.parseRows(try database.query(SubscriptionModel.rowsQuery))
            let ledger = sandbox.ledger()
            await cluster.stopAll()
            let leadershipRecord = observer.record
            group.cancelAll()

            let (events, unreadable, logProblems) = HistoryChecker.readEvents(paths: chaosNodes.map(\.eventLogPath))
            let check = HistoryChecker(
                due: due, ledger: ledger, charges: charges, writes: writes, events: events, store: leadershipRecord, faults: records,
                model: SubscriptionModel(seeded: seeded, ledger: ledger, rows: rows, dunning: try DunningSchedule(parsing: dunning)),
                eventLogProblems: logProblems
            ).check()
            let clean = check.isClean && settled
            var totals: [String: RunReport.FaultTotals] = [:]
            for record in records {
                totals[record.kind.rawValue, default: .init()].injected += 1
                if record.confirmed {
                    totals[record.kind.rawValue, default: .init()].confirmed += 1
                    if clean { totals[record.kind.rawValue, default: .init()].survived += 1 }
                }
            }
            let caughtBy = check.signals
            return RunReport(
                seed: seed, network: lab.mode, coordination: coordination, control: control == .none ? nil : control.rawValue,
                caughtBy: control == .none ? nil : caughtBy.map(\.rawValue), leaseTTLSeconds: leaseTTL,
                faultPhaseSeconds: Double(phaseSeconds), quietPeriodSeconds: quietSeconds, settled: settled, renewalsChecked: due.count,
                faultTotals: totals, faults: records, nodeSelfExits: selfExits.value, unreadableEventLines: unreadable, check: check,
                passed: control.signal.map { caughtBy.contains($0) } ?? clean, directory: directory
            )
        }

        try FileManager.default.createDirectory(atPath: output, withIntermediateDirectories: true)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        let name = "\(coordination.rawValue)-" + (control == .none ? "run-\(seed)" : "control-\(control.rawValue)-\(seed)")
        try encoder.encode(report).write(to: URL(fileURLWithPath: "\(output)/\(name).json"))
        try Data((report.summary + "\n").utf8).write(to: URL(fileURLWithPath: "\(output)/\(name).txt"))
        print(report.summary)
        if !report.passed { throw ExitCode(1) }
    }

    /// The nodes' provider request timeout (`BILLING_PROVIDER_TIMEOUT`), shorter than the default
    /// 30 s so that a provider fault outlasts the engine's transient retries in seconds, not minutes.
    static let providerTimeoutSeconds = 5

    private func billingExecutable() throws -> String {
        if let billing { return billing }
        let me = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        let beside = URL(fileURLWithPath: me).deletingLastPathComponent().appendingPathComponent("billing").path
        guard FileManager.default.isExecutableFile(atPath: beside) else {
            throw HarnessError("no billing executable at \(beside); build it (swift build --product billing) or pass --billing PATH")
        }
        return beside
    }

    private func faultKinds(lab: NetworkLab) throws -> [FaultKind] {
        var kinds = faults.map { $0.split(separator: ",").compactMap { FaultKind(rawValue: String($0)) } } ?? FaultKind.allCases
        let skipped = Set((skipFaults ?? "").split(separator: ",").compactMap { FaultKind(rawValue: String($0)) })
        kinds.removeAll(where: skipped.contains)
        if FakeClock.preload == nil {
            let clockFaults = kinds.filter(\.stepsAClock)
            if !clockFaults.isEmpty && faults != nil {
                throw HarnessError("\(clockFaults.map(\.rawValue).joined(separator: ", ")) need libfaketime: \(FakeClock.missing)")
            }
            kinds.removeAll(where: \.stepsAClock)
        }
        if !SmallVolume.available {
            if kinds.contains(.databaseDiskFull) && faults != nil {
                throw HarnessError("database-disk-full mounts a small tmpfs for the database: run the harness as root")
            }
            kinds.removeAll { $0 == .databaseDiskFull }
        }
        let dropped = kinds.filter { !lab.supports($0) }
        kinds.removeAll { !lab.supports($0) }
        if coordination == .sqlite {
            // One host: no servers to fail, and one clock that every process shares (a step of one
            // process's clock would be a fault no such host has). The failpoints that stop a leader
            // holding a database connection are the PostgreSQL store's: an SQLite writer stopped
            // inside its transaction would hold the file's lock, and no successor could raise the fence.
            let needless = kinds.filter { $0.needsDatabaseServer || $0.needsStoreServer || $0.stepsAClock || $0.stopsHoldingAConnection }
            if !needless.isEmpty && faults != nil {
                throw HarnessError(
                    "\(needless.map(\.rawValue).joined(separator: ", ")) do not apply to the SQLite tier (one host, files, one clock)")
            }
            kinds.removeAll { $0.needsDatabaseServer || $0.needsStoreServer || $0.stepsAClock || $0.stopsHoldingAConnection }
        }
        if coordination == .postgres || coordination == .sqlite {
            let unreplicated = kinds.filter(\.needsReplicatedStore)
            if !unreplicated.isEmpty && faults != nil {
                throw HarnessError(
                    "\(unreplicated.map(\.rawValue).joined(separator: ", ")) need a store of several servers; the \(coordination.rawValue) coordination store has one"
                )
            }
            kinds.removeAll(where: \.needsReplicatedStore)
        }
        if !dropped.isEmpty && faults != nil {
            throw HarnessError(
                "\(dropped.map(\.rawValue).joined(separator: ", ")) cannot be injected in \(lab.mode.rawValue) mode (the faults between coordination servers need namespaces, the node partitions namespaces or proxies)"
            )
        }
        guard !kinds.isEmpty else { throw HarnessError("no fault kinds left to inject") }
        return kinds
    }

    /// A weighted, seeded pick.
    static func pick(_ kinds: [FaultKind], random: inout some RandomNumberGenerator) -> FaultKind {
        var ticket = Int.random(in: 0..<kinds.reduce(0) { $0 + $1.weight }, using: &random)
        for kind in kinds {
            if ticket < kind.weight { return kind }
            ticket -= kind.weight
        }
        return kinds[0]
    }

    static func seconds(_ duration: Duration) -> Double {
        let (seconds, attoseconds) = duration.components
        return Double(seconds) + Double(attoseconds) / 1e18
    }

    static func clockText() -> String {
        let now = NodeEventLog.realNowMs()
        let seconds = (now / 1000) % 86_400
        return String(format: "%02d:%02d:%02d", seconds / 3600, (seconds / 60) % 60, seconds % 60)
    }
}

/// A count shared between tasks.
final class Counter: Sendable {
    private let count = Mutex(0)
    var value: Int { count.withLock { $0 } }
    func increment() { count.withLock { $0 += 1 } }
}
