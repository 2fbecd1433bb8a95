import BenchmarkSupport
import Foundation
import LeaderElection
import Logging

// etcd-bench: figures for the etcd backend against a local etcd member it starts itself.
// Measures, never asserts. See BenchOptions.usage.

struct Report: Encodable {
    struct Handover: Encodable {
        /// The library in process: from `resign()` to the next leader's body.
        var swift: Statistics
        /// `leader campaign` processes: from SIGINT to the next process's `elected` line.
        var leaderCommand: Statistics
        /// `etcdctl elect` processes: from SIGINT to the next process's value line.
        var etcdctl: Statistics
        var backendOnly: Statistics
        /// leaderCommand / etcdctl: both timed process to process.
        var p50Ratio: Double
        var p99Ratio: Double
    }

    struct Failover: Encodable {
        var ttlSeconds: Double
        var latencyMilliseconds: Statistics
        var p99OverTTLMilliseconds: Double
    }

    var etcdVersion: String
    var cores: Int
    var date = ISO8601DateFormatter().string(from: Date())
    var handover: Handover?
    var failovers: [Failover] = []
    var idle: IdleLoad.Figures?
    var crowd: Crowd.Figures?
}

let options: BenchOptions
do {
    options = try BenchOptions(arguments: Array(CommandLine.arguments.dropFirst()))
} catch {
    FileHandle.standardError.write(Data("\(error)\n".utf8))
    exit(2)
}
guard let etcdPath = findExecutable("etcd"), let etcdctlPath = findExecutable("etcdctl") else {
    FileHandle.standardError.write(Data("etcd-bench needs etcd and etcdctl: apt-get install -y etcd-server etcd-client\n".utf8))
    exit(2)
}
var logger = Logger(label: "etcd-bench") { StreamLogHandler.standardError(label: $0) }
logger.logLevel = ProcessInfo.processInfo.environment["ETCD_BENCH_LOG"].flatMap(Logger.Level.init(rawValue:)) ?? .error

let server = try EtcdServer(etcd: etcdPath)
defer { server.stop() }
let versionProbe = try BenchProcess(binary: etcdPath, arguments: ["--version"])
versionProbe.waitForExit()
var report = Report(
    etcdVersion: versionProbe.lines.first?.text ?? "unknown",
    cores: ProcessInfo.processInfo.activeProcessorCount
)
print("== etcd-bench against \(report.etcdVersion) at \(server.endpoint), \(report.cores) cores")

do {
    if options.runs("handover") {
        print("== graceful handover, \(options.handovers) each, same etcd member")
        guard let leaderBinary = options.leaderBinary else { throw BenchError("--leader-binary is needed for the handover figures") }
        let swift = Statistics(try await Handovers.swift(server, count: options.handovers, logger: logger))
        print("   library, in process (resign() to the next body)      \(swift)")
        let leaderCommand = Statistics(
            try await Handovers.leaderCommand(server, leader: leaderBinary, count: options.handovers, logger: logger))
        print("   leader campaign processes (SIGINT to the next line)  \(leaderCommand)")
        let etcdctl = Statistics(try await Handovers.etcdctl(server, etcdctl: etcdctlPath, count: options.handovers, logger: logger))
        print("   etcdctl elect processes (SIGINT to the next line)    \(etcdctl)")
        let backendOnly = Statistics(try await Handovers.backendOnly(server, count: options.handovers, logger: logger))
        print("   (backend alone, without the Election core: \(backendOnly))")
        let handover = Report.Handover(
            swift: swift, leaderCommand: leaderCommand, etcdctl: etcdctl, backendOnly: backendOnly,
            p50Ratio: leaderCommand.p50 / etcdctl.p50, p99Ratio: leaderCommand.p99 / etcdctl.p99
        )
        print(String(format: "   ratio leader/etcdctl, process to process: p50 %.2f, p99 %.2f", handover.p50Ratio, handover.p99Ratio))
        report.handover = handover
    }
    if options.runs("failover") {
        guard let leaderBinary = options.leaderBinary else { throw BenchError("--leader-binary is needed for the failover figures") }
        for ttl in options.failoverTTLs {
            print("== crash failover (SIGKILL of a leader campaign process), TTL \(ttl) s, \(options.failovers) kills")
            let statistics = Statistics(
                try CommandFailover.run(store: "etcd://\(server.endpoint)", leader: leaderBinary, ttl: ttl, count: options.failovers))
            print("   \(statistics); p99 - TTL = \(String(format: "%.0f", statistics.p99 - ttl * 1000)) ms")
            report.failovers.append(
                .init(ttlSeconds: ttl, latencyMilliseconds: statistics, p99OverTTLMilliseconds: statistics.p99 - ttl * 1000))
        }
    }
    if options.runs("idle") {
        print("== idle cost (gRPC messages etcd received per second), TTL 5 s, windows of \(options.idleSeconds) s")
        let idle = try await IdleLoad.run(server, seconds: options.idleSeconds, logger: logger)
        print(
            String(
                format: "   leader %.2f/s, waiting candidate %.2f/s (baseline %.2f/s)", idle.leaderPerSecond,
                idle.waitingCandidatePerSecond, idle.baselinePerSecond))
        report.idle = idle
    }
    if options.runs("crowd") {
        print("== \(options.crowd) waiting candidates in one election, \(options.crowdHandovers) handovers")
        let crowd = try await Crowd.run(server, candidates: options.crowd, handovers: options.crowdHandovers, logger: logger)
        print("   handover \(crowd.handoverMilliseconds)")
        print(String(format: "   watch events sent by etcd per handover: %.2f", crowd.watchEventsPerHandover))
        report.crowd = crowd
    }
} catch {
    FileHandle.standardError.write(Data("etcd-bench: \(error)\n".utf8))
    server.stop()
    exit(1)
}

let url = URL(fileURLWithPath: options.output)
try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
let encoder = JSONEncoder()
encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
try encoder.encode(report).write(to: url)
print("== wrote \(options.output)")
