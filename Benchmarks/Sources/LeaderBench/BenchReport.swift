import BenchmarkSupport
import Foundation

/// What the benchmark writes as JSON.
struct BenchReport: Encodable {
    struct Handover: Encodable {
        var ttlSeconds: Double
        var latencyMilliseconds: Statistics
    }

    struct Failover: Encodable {
        var ttlSeconds: Double
        var latencyMilliseconds: Statistics
        var p50OverTTL: Double
        var p99OverTTL: Double
    }

    struct Idle: Encodable {
        var ttlSeconds: Double
        var windowSeconds: Double
        var processes: [String: ProcessUsage]
    }

    var backend = "sqlite"
    var binary: String
    var cores: Int
    var date = ISO8601DateFormatter().string(from: Date())
    var handover: Handover?
    var failover: Failover?
    var idle: Idle?

    /// Writes the report as pretty JSON to `path`, creating its directory.
    func write(to path: String) throws {
        let url = URL(fileURLWithPath: path)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try encoder.encode(self).write(to: url)
    }
}
