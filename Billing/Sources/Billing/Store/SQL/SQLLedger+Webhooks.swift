/// Provider webhooks: each event applied at most once, as a conditional, unfenced step (c).
extension SQLLedger {
    func recordWebhook(_ delivery: WebhookDelivery, settling record: RenewalRecord?, now: Timestamp) async throws -> WebhookSettlement {
        try await database.transaction { connection in
            let key: [SQLValue] = [.text(delivery.provider), .text(delivery.eventID)]
            if let seen = try await connection.query(
                "SELECT signed_ms FROM webhook_events WHERE provider = $1 AND event_id = $2", key
            ).first {
                return try seen.timestamp("signed_ms") == delivery.signedAt ? .replay : .duplicate
            }
            // Claim the event first: a delivery of it on another node at the same moment waits
            // here, then finds it claimed and changes nothing.
            let claimed = try await connection.query(
                """
                INSERT INTO webhook_events (provider, event_id, event_type, signed_ms, outcome, received_ms)
                VALUES ($1, $2, $3, $4, 'ignored', $5) ON CONFLICT (provider, event_id) DO NOTHING RETURNING event_id
                """,
                key + [.text(delivery.eventType), .timestamp(delivery.signedAt), .timestamp(now)]
            )
            guard !claimed.isEmpty else { return .duplicate }
            guard let record, record.charge != nil else { return .ignored("it settles no charge of this service") }
            // The provider's word, not a leader's: written under no fencing token. A subscription
            // not as the record expects throws and rolls the whole delivery back, its claim
            // included: the caller decides again.
            guard try await Self.write(record, writer: nil, now: now, connection) else {
                return .ignored("its charge is no longer open (settled by the engine, an operator or an earlier event)")
            }
            let result: WebhookSettlement = record.charge?.status.isUnresolved == true ? .marked : .settled
            _ = try await connection.query(
                "UPDATE webhook_events SET outcome = $3 WHERE provider = $1 AND event_id = $2", key + [.text(result.name)])
            return result
        }
    }
}
