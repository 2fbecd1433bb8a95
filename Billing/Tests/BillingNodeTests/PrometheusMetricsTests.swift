import Metrics
import Prometheus
import Testing

/// The node's `/metrics` comes from swift-prometheus; these pin what the dashboards and alerts
/// rely on: the names the election and the engine use, one series per label set, timers in seconds.
@Suite("Prometheus exposition")
struct PrometheusMetricsTests {
    @Test("counters, gauges and timers render in the text format")
    func rendering() {
        let registry = PrometheusCollectorRegistry()
        let factory = PrometheusMetricsFactory(registry: registry)
        Metrics.Counter(label: "jobs_total", dimensions: [("kind", "a")], factory: factory).increment(by: 3)
        Metrics.Gauge(label: "is_leader", factory: factory).record(1)
        let timer = Metrics.Timer(label: "call_seconds", factory: factory)
        timer.recordNanoseconds(500_000_000)
        timer.recordNanoseconds(1_500_000_000)
        let text = registry.emitToString()
        #expect(text.contains("# TYPE jobs_total counter\njobs_total{kind=\"a\"} 3\n"))
        #expect(text.contains("# TYPE is_leader gauge\nis_leader 1"))
        #expect(text.contains("# TYPE call_seconds histogram\n"))
        #expect(text.contains("call_seconds_sum 2.0\n"))
        #expect(text.contains("call_seconds_count 2\n"))
    }

    @Test("a counter made twice with the same label and dimensions is one series")
    func sameSeries() {
        let registry = PrometheusCollectorRegistry()
        let factory = PrometheusMetricsFactory(registry: registry)
        Metrics.Counter(label: "x_total", factory: factory).increment()
        Metrics.Counter(label: "x_total", factory: factory).increment()
        #expect(registry.emitToString() == "# TYPE x_total counter\nx_total 2\n")
    }
}
