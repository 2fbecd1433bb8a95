import Billing
import Logging
import Metrics

/// Delivers the outbox (`billing_events`) to the business's endpoints while this node leads: at
/// least once, each subscription's events in order, failures retried with back-off.
///
/// Each round asks the store for the events it may deliver now
/// (``BillingStore/deliverableEvents(at:limit:)``: the oldest undelivered ones, none behind one
/// that waits for its retry), sends each subscription's one after the other with at most
/// ``Configuration/concurrency`` subscriptions in flight, and records which were accepted; an
/// event that failed waits its back-off, and its subscription's later events wait behind it.
/// Another subscription's events are not held up. A leader that lost its
/// leadership may deliver an event its successor delivers again: receivers deduplicate on the
/// event id, which every delivery of an event repeats.
struct OutboxRelay: Sendable {
    /// Pacing of the relay.
    struct Configuration: Sendable {
        /// Events read per round; default 500.
        var batchSize = 500
        /// Deliveries in flight at once; default 32.
        var concurrency = 32
        /// The wait before the first retry of a failed event; doubles up to ``maximumBackoff``. Default 1 s.
        var initialBackoff: Duration = .seconds(1)
        /// The longest wait between retries of one event; default 5 minutes.
        var maximumBackoff: Duration = .seconds(300)
        /// The pause after a round that found nothing to deliver; default 100 ms.
        var idlePause: Duration = .milliseconds(100)

        /// The wait before retry `attempt` (1-based).
        func backoff(attempt: Int) -> Duration {
            var pause = initialBackoff
            for _ in 1..<max(attempt, 1) where pause < maximumBackoff { pause = pause * 2 }
            return min(pause, maximumBackoff)
        }
    }

    let store: any BillingStore
    let sender: any EventSender
    let configuration: Configuration
    let metrics: OutboxMetrics
    let logger: Logger

    /// Rounds until cancelled (or `checkLeadership` throws). Any other failure (the database out of
    /// reach, a row it cannot read) is logged and the round tried again a second later: delivery
    /// stalls, billing does not (the relay runs beside the engine in one leadership, and an error
    /// here would end it, on every replica alike).
    func run(checkLeadership: @escaping @Sendable () throws -> Void) async throws {
        while true {
            try checkLeadership()
            let read: Int
            do {
                read = try await round()
            } catch is CancellationError {
                throw CancellationError()
            } catch {
                logger.error("the outbox could not be delivered; trying again in a second", metadata: ["error": "\(error)"])
                try await Task.sleep(for: .seconds(1))
                continue
            }
            if read < configuration.batchSize {
                try await Task.sleep(for: configuration.idlePause)
            }
        }
    }

    /// One round: returns how many events were read (delivered or failed).
    func round() async throws -> Int {
        let now = try await store.currentTime()
        let events = try await store.deliverableEvents(at: now, limit: configuration.batchSize)
        guard !events.isEmpty else { return 0 }
        // Each subscription's events go out one after the other, in order, stopping at the first
        // that fails; subscriptions go in parallel.
        let bySubscription = Dictionary(grouping: events, by: \.subscriptionID)
        var seen = Set<String>()
        let order = events.map(\.subscriptionID).filter { seen.insert($0).inserted }
        let results = try await withThrowingTaskGroup(of: (delivered: [BillingEvent], failed: (BillingEvent, String)?).self) { group in
            var results: [(delivered: [BillingEvent], failed: (BillingEvent, String)?)] = []
            var next = order.makeIterator()
            func start() {
                guard let subscription = next.next(), let queue = bySubscription[subscription] else { return }
                group.addTask {
                    var delivered: [BillingEvent] = []
                    for event in queue {
                        do {
                            try await sender.send(event)
                            delivered.append(event)
                        } catch is CancellationError {
                            throw CancellationError()
                        } catch {
                            return (delivered, (event, "\(error)"))
                        }
                    }
                    return (delivered, nil)
                }
            }
            for _ in 0..<configuration.concurrency { start() }
            while let result = try await group.next() {
                results.append(result)
                start()
            }
            return results
        }
        let deliveredAt = try await store.currentTime()
        let delivered = results.flatMap(\.delivered)
        try await store.markEventsDelivered(delivered.map(\.sequence), at: deliveredAt)
        for event in delivered {
            metrics.delivered.increment()
            metrics.lag.recordNanoseconds(max(0, event.createdAt.duration(to: deliveredAt).nanoseconds))
        }
        for case (_, let (event, error)?) in results {
            metrics.failures.increment()
            let retryAt = deliveredAt + configuration.backoff(attempt: event.attempts + 1)
            logger.warning(
                "an event was not delivered; retrying later",
                metadata: ["event": "\(event.id)", "type": "\(event.type)", "retry_at": "\(retryAt)", "error": "\(error)"])
            try await store.markEventFailed(event.sequence, error: error, retryAt: retryAt)
        }
        return events.count
    }
}

/// The relay's metrics: `billing_events_delivered_total`, `billing_event_delivery_failures_total`
/// and the timer `billing_event_delivery_lag_seconds` (written → accepted by every endpoint).
struct OutboxMetrics: Sendable {
    let delivered: Counter
    let failures: Counter
    let lag: Timer

    init(factory: any MetricsFactory) {
        delivered = Counter(label: "billing_events_delivered_total", factory: factory)
        failures = Counter(label: "billing_event_delivery_failures_total", factory: factory)
        lag = Timer(label: "billing_event_delivery_lag_seconds", factory: factory)
    }
}
