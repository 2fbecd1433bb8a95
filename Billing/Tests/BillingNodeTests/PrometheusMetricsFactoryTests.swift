import BillingNode
import Metrics
import Testing

@Suite("Prometheus exposition")
struct PrometheusMetricsFactoryTests {
    @Test("counters, gauges and timers render in the text format")
    func rendering() {
        let factory = PrometheusMetricsFactory()
        Counter(label: "jobs_total", dimensions: [("kind", "a\"b")], factory: factory).increment(by: 3)
        Gauge(label: "is_leader", factory: factory).record(1)
        let timer = Metrics.Timer(label: "call.seconds", factory: factory)
        timer.recordNanoseconds(500_000_000)
        timer.recordNanoseconds(1_500_000_000)
        let text = factory.render()
        #expect(text.contains("# TYPE jobs_total counter\njobs_total{kind=\"a\\\"b\"} 3\n"))
        #expect(text.contains("# TYPE is_leader gauge\nis_leader 1\n"))
        #expect(text.contains("# TYPE call_seconds summary\ncall_seconds_sum 2\ncall_seconds_count 2\n"))
        #expect(factory.value("jobs_total", dimensions: [("kind", "a\"b")]) == 3)
    }

    @Test("a counter made twice with the same label and dimensions is one series")
    func sameSeries() {
        let factory = PrometheusMetricsFactory()
        Counter(label: "x_total", factory: factory).increment()
        Counter(label: "x_total", factory: factory).increment()
        #expect(factory.render() == "# TYPE x_total counter\nx_total 2\n")
    }
}
