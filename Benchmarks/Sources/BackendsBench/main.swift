import BenchmarkSupport
import Foundation
import LeaderElection
import LeaderElectionPostgres
import LeaderElectionZooKeeper
import Logging

// backends-bench: graceful handover and crash failover for the PostgreSQL and ZooKeeper backends,
// with kazoo's Election measured side by side on the same ZooKeeper server. Measures, never
// asserts. See BenchOptions.usage.

struct Report: Encodable {
    struct Backend: Encodable {
        /// The library in process: from `resign()` to the next leader's body.
        var handover: Statistics?
        /// `leader campaign` processes: from SIGTERM to the next process's `elected` stamp.
        var commandHandover: Statistics?
        var failoverTTLSeconds: Double?
        var failover: Statistics?
    }

    var cores: Int
    var date = ISO8601DateFormatter().string(from: Date())
    var postgres = Backend()
    var zookeeper = Backend()
    var kazooHandover: Statistics?
    /// ZooKeeper's `leader campaign` handover over kazoo's, both timed process to process.
    var zookeeperOverKazooP50: Double?
    var zookeeperOverKazooP99: Double?
}

let options: BenchOptions
do {
    options = try BenchOptions(arguments: Array(CommandLine.arguments.dropFirst()))
} catch {
    FileHandle.standardError.write(Data("\(error)\n".utf8))
    exit(2)
}
var logger = Logger(label: "backends-bench") { StreamLogHandler.standardError(label: $0) }
logger.logLevel = ProcessInfo.processInfo.environment["BACKENDS_BENCH_LOG"].flatMap(Logger.Level.init(rawValue:)) ?? .error
// kazoo candidates started by the benchmark lead until SIGTERM (scripts/kazoo-election.py).
setenv("KAZOO_RELEASE_ON", "signal", 1)

var report = Report(cores: ProcessInfo.processInfo.activeProcessorCount)
// This file is Benchmarks/Sources/BackendsBench/main.swift; the script is in the repository's scripts/.
let kazooScript = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("scripts/kazoo-election.py").path

let zookeeper = try ZooKeeperServer()
defer { zookeeper.stop() }
do {
    try await zookeeper.waitUntilServing()
    print("== backends-bench, \(report.cores) cores; ZooKeeper at \(zookeeper.endpoint)")
    let zkConfiguration = try ZooKeeperConfiguration(url: "zookeeper://\(zookeeper.endpoint)")

    if options.runs("postgres"), let url = options.postgresURL {
        let configuration = try PostgresConfiguration(url: url)
        print("== PostgreSQL graceful handover, \(options.handovers) resignations (\(configuration))")
        let samples = try await Handovers.postgres(configuration, count: options.handovers, logger: logger)
        report.postgres.handover = Statistics(samples)
        print("   library, in process (resign() to the next body)         \(report.postgres.handover!)")
        if let leaderBinary = options.leaderBinary {
            report.postgres.commandHandover = Statistics(
                try await PostgresBackend.withBackend(configuration: configuration, logger: logger) { observer in
                    try await CommandHandover.run(
                        store: url, leader: leaderBinary, observer: observer, count: options.handovers, signal: SIGTERM, end: .printedStamp
                    )
                }
            )
            print("   leader campaign processes (SIGTERM to the next stamp)  \(report.postgres.commandHandover!)")
        }
    } else if options.runs("postgres") {
        print("== PostgreSQL skipped: pass --postgres URL or set BILLING_TEST_POSTGRES_URL")
    }
    if options.runs("zookeeper") {
        print("== ZooKeeper graceful handover, \(options.handovers) resignations")
        let samples = try await Handovers.zookeeper(zkConfiguration, count: options.handovers, logger: logger)
        report.zookeeper.handover = Statistics(samples)
        print("   library, in process (resign() to the next body)         \(report.zookeeper.handover!)")
        if let leaderBinary = options.leaderBinary {
            report.zookeeper.commandHandover = Statistics(
                try await ZooKeeperBackend.withBackend(configuration: zkConfiguration, logger: logger) { observer in
                    try await CommandHandover.run(
                        store: "zookeeper://\(zookeeper.endpoint)", leader: leaderBinary, observer: observer, count: options.handovers,
                        signal: SIGTERM, end: .printedStamp
                    )
                }
            )
            print("   leader campaign processes (SIGTERM to the next stamp)  \(report.zookeeper.commandHandover!)")
        }
    }
    if options.runs("kazoo") {
        guard let python = findExecutable("python3") else { throw BenchError("python3 with kazoo is needed for the kazoo figures") }
        print("== kazoo Election graceful handover (SIGTERM of the leader process), \(options.kazooHandovers) handovers, same ZooKeeper")
        let samples = try await Handovers.kazoo(
            python: python,
            script: kazooScript,
            configuration: zkConfiguration,
            hosts: zookeeper.endpoint,
            count: options.kazooHandovers,
            logger: logger
        )
        let kazoo = Statistics(samples)
        report.kazooHandover = kazoo
        print("   kazoo processes (SIGTERM to the next stamp)              \(kazoo)")
        if let command = report.zookeeper.commandHandover {
            report.zookeeperOverKazooP50 = command.p50 / kazoo.p50
            report.zookeeperOverKazooP99 = command.p99 / kazoo.p99
            print(
                String(
                    format: "   ratio leader/kazoo, process to process: p50 %.2f, p99 %.2f", command.p50 / kazoo.p50,
                    command.p99 / kazoo.p99))
        }
    }
    if options.runs("failover") {
        guard let leaderBinary = options.leaderBinary else { throw BenchError("--leader-binary is needed for the failover figures") }
        var stores: [(String, String)] = [("zookeeper", "zookeeper://\(zookeeper.endpoint)")]
        if let url = options.postgresURL { stores.insert(("postgres", url), at: 0) }
        for (kind, store) in stores {
            print(
                "== \(kind) crash failover (SIGKILL of a leader campaign process), TTL \(options.failoverTTL) s, \(options.failovers) kills"
            )
            let statistics = Statistics(
                try CommandFailover.run(store: store, leader: leaderBinary, ttl: options.failoverTTL, count: options.failovers))
            print("   \(statistics); p99 - TTL = \(String(format: "%.0f", statistics.p99 - options.failoverTTL * 1000)) ms")
            if kind == "postgres" {
                report.postgres.failover = statistics
                report.postgres.failoverTTLSeconds = options.failoverTTL
            } else {
                report.zookeeper.failover = statistics
                report.zookeeper.failoverTTLSeconds = options.failoverTTL
            }
        }
    }
} catch {
    FileHandle.standardError.write(Data("backends-bench: \(error)\n".utf8))
    zookeeper.stop()
    exit(1)
}

let url = URL(fileURLWithPath: options.output)
try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
let encoder = JSONEncoder()
encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
try encoder.encode(report).write(to: url)
print("== wrote \(options.output)")
