import BenchmarkSupport
import Foundation
import Glibc

// leader-bench: measures the `leader` CLI on the SQLite backend. Prints figures, asserts nothing,
// writes bench-results/sqlite.json.
//
// Usage: swift run -c release leader-bench [--binary PATH] [--handovers N] [--failovers N] [--idle-seconds S] [--output PATH]

signal(SIGPIPE, SIG_IGN)
let options = BenchOptions(CommandLine.arguments.dropFirst())
guard let binary = options.binary() else {
    FileHandle.standardError.write(
        Data(
            "error: no leader binary found (looked for .build/release/leader and .build/debug/leader); run 'swift build -c release --product leader' or pass --binary PATH\n"
                .utf8))
    exit(1)
}
let directory = NSTemporaryDirectory() + "leader-bench-" + UUID().uuidString
try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
defer { try? FileManager.default.removeItem(atPath: directory) }
let scenarios = Scenarios(binary: binary, directory: directory)
print("leader-bench: \(binary), SQLite store in \(directory)")

let clock = ContinuousClock()
var report = BenchReport(binary: binary, cores: ProcessInfo.processInfo.activeProcessorCount)
do {
    let handoverTTL = 5.0
    let started = clock.now
    let handover = Statistics(try scenarios.handover(rounds: options.handovers, ttl: handoverTTL))
    print("graceful handover (SIGINT to leader -> next elected), TTL \(handoverTTL) s: \(handover)  [\(clock.now - started)]")
    report.handover = .init(ttlSeconds: handoverTTL, latencyMilliseconds: handover)

    let failoverTTL = 2.0
    let failoverStarted = clock.now
    let failover = Statistics(try scenarios.failover(rounds: options.failovers, ttl: failoverTTL))
    print("crash failover (SIGKILL to leader -> next elected), TTL \(failoverTTL) s: \(failover)  [\(clock.now - failoverStarted)]")
    print(
        String(
            format: "  as a fraction of the TTL: p50 %.2f, p99 %.2f, max %.2f", failover.p50 / 1000 / failoverTTL,
            failover.p99 / 1000 / failoverTTL, failover.maximum / 1000 / failoverTTL))
    report.failover = .init(
        ttlSeconds: failoverTTL, latencyMilliseconds: failover, p50OverTTL: failover.p50 / 1000 / failoverTTL,
        p99OverTTL: failover.p99 / 1000 / failoverTTL)

    let idleTTL = 5.0
    let idle = try scenarios.idle(window: options.idleSeconds, ttl: idleTTL)
    print("idle over \(options.idleSeconds) s, TTL \(idleTTL) s:")
    for name in idle.keys.sorted() {
        let usage = idle[name]!
        let label = name.padding(toLength: 17, withPad: " ", startingAt: 0)
        print(
            "  \(label) "
                + String(format: "CPU %.3f%% (%.2f ms/s)  RSS %d KiB", usage.cpuPercent, usage.cpuMillisecondsPerSecond, usage.rssKiB))
    }
    report.idle = .init(ttlSeconds: idleTTL, windowSeconds: options.idleSeconds, processes: idle)
} catch {
    FileHandle.standardError.write(Data("error: \(error)\n".utf8))
    exit(1)
}
try report.write(to: options.output)
print("wrote \(options.output)")
