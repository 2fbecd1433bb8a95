import CoreMetrics
import Foundation
import Synchronization

/// A swift-metrics `MetricsFactory` that keeps every metric in memory and renders them in the
/// Prometheus text exposition format (version 0.0.4), for a `/metrics` endpoint.
///
/// Counters become `counter`s, gauges and meters `gauge`s, timers `summary`s in seconds
/// (`_sum` and `_count`, no quantiles) and aggregating recorders `summary`s in their own unit.
/// Not guaranteed: quantiles or histograms, or that labels are valid Prometheus names (dots and
/// dashes are replaced by underscores, nothing else is checked).
public final class PrometheusMetricsFactory: MetricsFactory, Sendable {
    private struct SeriesKey: Hashable {
        var name: String
        var labels: [String]
    }

    private let series = Mutex<[SeriesKey: PrometheusSeries]>([:])

    /// Creates an empty registry.
    public init() {}

    private func handler(_ label: String, _ dimensions: [(String, String)], kind: PrometheusSeries.Kind, scale: Double = 1) -> PrometheusSeries {
        let name = Self.sanitize(label)
        let labels = dimensions.map { "\(Self.sanitize($0.0))=\"\(Self.escape($0.1))\"" }
        return series.withLock { table in
            let key = SeriesKey(name: name, labels: labels)
            if let existing = table[key] { return existing }
            let created = PrometheusSeries(kind: kind, scale: scale)
            table[key] = created
            return created
        }
    }

    public func makeCounter(label: String, dimensions: [(String, String)]) -> any CounterHandler {
        handler(label, dimensions, kind: .counter)
    }

    public func makeFloatingPointCounter(label: String, dimensions: [(String, String)]) -> any FloatingPointCounterHandler {
        handler(label, dimensions, kind: .counter)
    }

    public func makeMeter(label: String, dimensions: [(String, String)]) -> any MeterHandler {
        handler(label, dimensions, kind: .gauge)
    }

    public func makeRecorder(label: String, dimensions: [(String, String)], aggregate: Bool) -> any RecorderHandler {
        handler(label, dimensions, kind: aggregate ? .summary : .gauge)
    }

    public func makeTimer(label: String, dimensions: [(String, String)]) -> any TimerHandler {
        handler(label, dimensions, kind: .summary, scale: 1e-9)
    }

    // Series live as long as the factory: a scrape must still see a counter whose owner is gone.
    public func destroyCounter(_ handler: any CounterHandler) {}
    public func destroyFloatingPointCounter(_ handler: any FloatingPointCounterHandler) {}
    public func destroyMeter(_ handler: any MeterHandler) {}
    public func destroyRecorder(_ handler: any RecorderHandler) {}
    public func destroyTimer(_ handler: any TimerHandler) {}

    /// The value of a counter or gauge (the sum of a summary), for tests and status pages.
    public func value(_ label: String, dimensions: [(String, String)] = []) -> Double? {
        let key = SeriesKey(name: Self.sanitize(label), labels: dimensions.map { "\(Self.sanitize($0.0))=\"\(Self.escape($0.1))\"" })
        return series.withLock { $0[key] }?.snapshot.value
    }

    /// Every series, in the Prometheus text format, sorted by name.
    public func render() -> String {
        let entries = series.withLock { $0.map { ($0.key, $0.value) } }.sorted {
            ($0.0.name, $0.0.labels.joined(separator: ",")) < ($1.0.name, $1.0.labels.joined(separator: ","))
        }
        var text = ""
        var typed = Set<String>()
        for (key, series) in entries {
            if typed.insert(key.name).inserted {
                text += "# TYPE \(key.name) \(series.kind.rawValue)\n"
            }
            let labels = key.labels.isEmpty ? "" : "{\(key.labels.joined(separator: ","))}"
            let (value, count) = series.snapshot
            switch series.kind {
            case .counter, .gauge:
                text += "\(key.name)\(labels) \(Self.format(value))\n"
            case .summary:
                text += "\(key.name)_sum\(labels) \(Self.format(value))\n"
                text += "\(key.name)_count\(labels) \(count)\n"
            }
        }
        return text
    }

    private static func format(_ value: Double) -> String {
        if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
        return String(value)
    }

    private static func sanitize(_ name: String) -> String {
        String(name.map { $0.isLetter || $0.isNumber || $0 == "_" || $0 == ":" ? $0 : "_" })
    }

    private static func escape(_ value: String) -> String {
        value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"").replacingOccurrences(of: "\n", with: "\\n")
    }
}
