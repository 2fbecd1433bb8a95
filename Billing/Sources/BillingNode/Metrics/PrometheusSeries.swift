import CoreMetrics
import Synchronization

/// One time series of a ``PrometheusMetricsFactory``: a counter, a gauge or a summary (count and
/// sum) depending on what swift-metrics asked for.
///
/// One class serves every handler protocol so that the factory keeps a single table; each series
/// is only ever used through the protocol of the kind it was made as.
final class PrometheusSeries: CounterHandler, FloatingPointCounterHandler, RecorderHandler, MeterHandler, TimerHandler, Sendable {
    /// How the series is exposed.
    enum Kind: String, Sendable {
        case counter
        case gauge
        case summary
    }

    let kind: Kind
    /// Timers are exposed in seconds; other summaries in the unit they are recorded in.
    private let scale: Double
    private let state = Mutex<(value: Double, count: Int64)>((0, 0))

    init(kind: Kind, scale: Double = 1) {
        self.kind = kind
        self.scale = scale
    }

    /// The value (counter, gauge) or sum (summary), and the number of observations.
    var snapshot: (value: Double, count: Int64) { state.withLock { $0 } }

    func increment(by amount: Int64) { increment(by: Double(amount)) }
    func increment(by amount: Double) { state.withLock { $0.value += amount } }
    func decrement(by amount: Double) { state.withLock { $0.value -= amount } }
    func reset() { state.withLock { $0 = (0, 0) } }
    func set(_ value: Int64) { set(Double(value)) }
    func set(_ value: Double) { state.withLock { $0.value = value } }
    func record(_ value: Int64) { record(Double(value)) }

    func record(_ value: Double) {
        state.withLock { state in
            switch kind {
            case .summary:
                state.value += value * scale
                state.count += 1
            case .gauge, .counter:
                state.value = value
            }
        }
    }

    func recordNanoseconds(_ duration: Int64) { record(Double(duration)) }
}
