import Foundation

/// Summary figures of a sample of durations in milliseconds.
public struct Statistics: Encodable, Sendable, CustomStringConvertible {
    public var count: Int
    public var minimum: Double
    public var mean: Double
    public var p50: Double
    public var p90: Double
    public var p99: Double
    public var maximum: Double

    /// Summarizes `samples` (nearest-rank percentiles).
    public init(_ samples: [Double]) {
        let sorted = samples.sorted()
        func percentile(_ p: Double) -> Double {
            guard !sorted.isEmpty else { return 0 }
            let rank = Int((p / 100 * Double(sorted.count)).rounded(.up))
            return sorted[min(max(rank, 1), sorted.count) - 1]
        }
        count = sorted.count
        minimum = sorted.first ?? 0
        maximum = sorted.last ?? 0
        mean = sorted.isEmpty ? 0 : sorted.reduce(0, +) / Double(sorted.count)
        p50 = percentile(50)
        p90 = percentile(90)
        p99 = percentile(99)
    }

    public var description: String {
        func f(_ value: Double) -> String { String(format: "%.1f", value) }
        return "n=\(count) min \(f(minimum)) p50 \(f(p50)) p90 \(f(p90)) p99 \(f(p99)) max \(f(maximum)) mean \(f(mean)) ms"
    }
}
