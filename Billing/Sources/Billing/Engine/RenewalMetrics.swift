import Metrics

/// The engine's metrics (swift-metrics), created once per engine.
///
/// Counters: `billing_renewals_charged_total`, `billing_renewals_declined_total`,
/// `billing_renewals_retried_total` (dunning retries scheduled), `billing_renewals_failed_total`
/// (canceled for non-payment), `billing_renewals_unknown_total`, `billing_renewals_reconciled_total`,
/// `billing_renewals_processing_total` (accepted, settled later), `billing_renewals_action_required_total`
/// (waiting for the customer to authenticate), `billing_fenced_rejections_total`, `billing_bad_rows_total`, `billing_provider_retries_total`
/// (dimension `reason`: `rate_limited` or `retryable`). Timer: `billing_provider_latency_seconds`.
struct RenewalMetrics: Sendable {
    let charged: Counter
    let declined: Counter
    let retried: Counter
    let failed: Counter
    let unknown: Counter
    let processing: Counter
    let actionRequired: Counter
    let reconciled: Counter
    let parkedForReview: Counter
    let refundReviews: Counter
    let fencedRejections: Counter
    let badRows: Counter
    let rateLimitedRetries: Counter
    let transientRetries: Counter
    let providerLatency: Timer

    init(factory: any MetricsFactory) {
        charged = Counter(label: "billing_renewals_charged_total", factory: factory)
        declined = Counter(label: "billing_renewals_declined_total", factory: factory)
        retried = Counter(label: "billing_renewals_retried_total", factory: factory)
        failed = Counter(label: "billing_renewals_failed_total", factory: factory)
        unknown = Counter(label: "billing_renewals_unknown_total", factory: factory)
        processing = Counter(label: "billing_renewals_processing_total", factory: factory)
        actionRequired = Counter(label: "billing_renewals_action_required_total", factory: factory)
        reconciled = Counter(label: "billing_renewals_reconciled_total", factory: factory)
        parkedForReview = Counter(label: "billing_charges_parked_for_review_total", factory: factory)
        refundReviews = Counter(label: "billing_charges_refund_review_total", factory: factory)
        fencedRejections = Counter(label: "billing_fenced_rejections_total", factory: factory)
        badRows = Counter(label: "billing_bad_rows_total", factory: factory)
        rateLimitedRetries = Counter(label: "billing_provider_retries_total", dimensions: [("reason", "rate_limited")], factory: factory)
        transientRetries = Counter(label: "billing_provider_retries_total", dimensions: [("reason", "retryable")], factory: factory)
        providerLatency = Timer(label: "billing_provider_latency_seconds", factory: factory)
    }
}
