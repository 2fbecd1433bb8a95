/// One event of the outbox (`billing_events`): a state change the database recorded in the same
/// transaction as the change itself (see the table in ``BillingStore/events(after:subscriptionID:limit:)``).
public struct BillingEvent: Hashable, Sendable {
    /// The event's position in the outbox; events of one subscription are delivered in this order.
    public var sequence: Int64
    /// `charge.succeeded`, `charge.failed`, `charge.needs_review`, `subscription.renewed`,
    /// `subscription.past_due`, `subscription.action_required`, `subscription.canceled`.
    public var type: String
    /// The subscription it concerns.
    public var subscriptionID: String
    /// The event's data: a JSON object of the row as written (see `EventOutboxSchema`).
    public var payload: String
    /// When the change was written, by the database's clock.
    public var createdAt: Timestamp
    /// When every endpoint accepted it; nil while it is to be delivered.
    public var deliveredAt: Timestamp?
    /// Delivery attempts that failed since it was last (re)queued.
    public var attempts: Int
    /// Not delivered again before this.
    public var nextAttemptAt: Timestamp
    /// Why the last attempt failed, if it did.
    public var lastError: String?

    /// The id receivers deduplicate on: `evt_` and the sequence number; the same on every delivery.
    public var id: String { "evt_\(sequence)" }

    /// Creates an event as stored.
    public init(
        sequence: Int64, type: String, subscriptionID: String, payload: String, createdAt: Timestamp, deliveredAt: Timestamp?,
        attempts: Int, nextAttemptAt: Timestamp, lastError: String?
    ) {
        self.sequence = sequence
        self.type = type
        self.subscriptionID = subscriptionID
        self.payload = payload
        self.createdAt = createdAt
        self.deliveredAt = deliveredAt
        self.attempts = attempts
        self.nextAttemptAt = nextAttemptAt
        self.lastError = lastError
    }

    /// The sequence number an event id names (`evt_42` → 42); nil for anything else.
    public static func sequence(ofID id: String) -> Int64? {
        guard id.hasPrefix("evt_") else { return nil }
        return Int64(id.dropFirst(4))
    }
}

/// How far the outbox's delivery has come.
public struct OutboxBacklog: Hashable, Sendable {
    /// Events not yet delivered.
    public var undelivered: Int
    /// When the oldest of them was written; nil when there are none.
    public var oldestUndeliveredAt: Timestamp?
    /// Undelivered events whose last attempt failed.
    public var failing: Int

    /// Creates a backlog summary.
    public init(undelivered: Int, oldestUndeliveredAt: Timestamp?, failing: Int) {
        self.undelivered = undelivered
        self.oldestUndeliveredAt = oldestUndeliveredAt
        self.failing = failing
    }
}
