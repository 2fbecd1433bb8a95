/// The event outbox: reads for delivery and operators, and the delivery's bookkeeping.
extension SQLLedger {
    static let eventColumns = "seq, type, subscription_id, payload, created_ms, delivered_ms, attempts, next_attempt_ms, last_error"

    func events(after sequence: Int64?, subscriptionID: String?, limit: Int) async throws -> [BillingEvent] {
        try await database.transaction { connection in
            try await connection.query(
                """
                SELECT \(Self.eventColumns) FROM billing_events
                WHERE seq > $1 AND ($2 = '' OR subscription_id = $2) ORDER BY seq LIMIT $3
                """,
                [.integer(sequence ?? 0), .text(subscriptionID ?? ""), .integer(Int64(limit))]
            ).map(Self.decodeEvent)
        }
    }

    /// The oldest undelivered events that are due at `now`, in sequence order, stopping for each
    /// subscription before its first event that waits (a failed delivery's back-off): a
    /// subscription's events are delivered in order, and one that keeps failing holds up only
    /// its own subscription.
    func deliverableEvents(at now: Timestamp, limit: Int) async throws -> [BillingEvent] {
        try await database.transaction { connection in
            try await connection.query(
                """
                SELECT \(Self.eventColumns) FROM billing_events e
                WHERE e.delivered_ms IS NULL AND e.next_attempt_ms <= $1
                  AND NOT EXISTS (
                      SELECT 1 FROM billing_events p
                      WHERE p.delivered_ms IS NULL AND p.subscription_id = e.subscription_id AND p.seq < e.seq
                        AND p.next_attempt_ms > $1)
                ORDER BY e.seq LIMIT $2
                """,
                [.timestamp(now), .integer(Int64(limit))]
            ).map(Self.decodeEvent)
        }
    }

    func markEventsDelivered(_ sequences: [Int64], at now: Timestamp) async throws {
        guard !sequences.isEmpty else { return }
        if database.dialect == .postgres {
            // One statement for the batch: one round trip however many events were delivered.
            _ = try await database.transaction { connection in
                try await connection.query(
                    "UPDATE billing_events SET delivered_ms = $1, last_error = NULL WHERE seq = ANY($2) AND delivered_ms IS NULL",
                    [.timestamp(now), .integers(sequences)])
            }
            return
        }
        try await database.transaction { connection in
            for sequence in sequences {
                _ = try await connection.query(
                    "UPDATE billing_events SET delivered_ms = $1, last_error = NULL WHERE seq = $2 AND delivered_ms IS NULL",
                    [.timestamp(now), .integer(sequence)])
            }
        }
    }

    func markEventFailed(_ sequence: Int64, error: String, retryAt: Timestamp) async throws {
        try await database.transaction { connection in
            _ = try await connection.query(
                """
                UPDATE billing_events SET attempts = attempts + 1, next_attempt_ms = $1, last_error = $2
                WHERE seq = $3 AND delivered_ms IS NULL
                """,
                [.timestamp(retryAt), .text(String(error.prefix(500))), .integer(sequence)])
        }
    }

    func requeueEvents(from first: Int64, through last: Int64, subscriptionID: String?, at now: Timestamp) async throws -> Int {
        try await database.transaction { connection in
            try await connection.query(
                """
                UPDATE billing_events SET delivered_ms = NULL, attempts = 0, next_attempt_ms = $1, last_error = NULL
                WHERE seq >= $2 AND seq <= $3 AND ($4 = '' OR subscription_id = $4)
                RETURNING seq
                """,
                [.timestamp(now), .integer(first), .integer(last), .text(subscriptionID ?? "")]
            ).count
        }
    }

    func pruneEvents(deliveredBefore instant: Timestamp) async throws -> Int {
        try await database.transaction { connection in
            try await connection.query(
                "DELETE FROM billing_events WHERE delivered_ms IS NOT NULL AND delivered_ms < $1 RETURNING seq", [.timestamp(instant)]
            ).count
        }
    }

    func outboxBacklog() async throws -> OutboxBacklog {
        try await database.transaction { connection in
            guard
                let row = try await connection.query(
                    """
                    SELECT COUNT(*) AS undelivered, MIN(created_ms) AS oldest,
                        COALESCE(SUM(CASE WHEN attempts > 0 THEN 1 ELSE 0 END), 0) AS failing
                    FROM billing_events WHERE delivered_ms IS NULL
                    """
                ).first
            else { return OutboxBacklog(undelivered: 0, oldestUndeliveredAt: nil, failing: 0) }
            return OutboxBacklog(
                undelivered: Int(try row.integer("undelivered")), oldestUndeliveredAt: try row.optionalTimestamp("oldest"),
                failing: Int(try row.integer("failing")))
        }
    }

    static func decodeEvent(_ row: SQLRow) throws(BillingError) -> BillingEvent {
        BillingEvent(
            sequence: try row.integer("seq"), type: try row.text("type"), subscriptionID: try row.text("subscription_id"),
            payload: try row.text("payload"), createdAt: try row.timestamp("created_ms"),
            deliveredAt: try row.optionalTimestamp("delivered_ms"), attempts: Int(clamping: try row.integer("attempts")),
            nextAttemptAt: try row.timestamp("next_attempt_ms"), lastError: try row.optionalText("last_error"))
    }
}
