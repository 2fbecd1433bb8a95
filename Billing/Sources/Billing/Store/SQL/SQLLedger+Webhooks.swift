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
            guard let record, let charge = record.charge else { return .ignored("it settles no charge of this service") }
            let updated = try await connection.query(
                """
                UPDATE charges SET \(Self.chargeUpdateAssignments(status: "$1", reference: "$2", failure: "$3", token: "fencing_token", now: "$4", review: "$8", nextSend: "$9", keySent: "$10"))
                WHERE subscription_id = $5 AND period_start_ms = $6 AND idempotency_key = $7 AND \(Self.chargeOpenForEngine)
                RETURNING subscription_id
                """,
                [
                    .text(charge.status.rawValue), .text(charge.providerReference), .text(charge.failureCode), .timestamp(now),
                    .text(record.subscriptionID), .timestamp(record.periodStart), .text(charge.idempotencyKey),
                    .text(charge.reviewReason), .timestamp(charge.nextSendAt), .timestamp(charge.keySentAt),
                ]
            )
            guard !updated.isEmpty else {
                return .ignored("its charge is no longer open (settled by the engine, an operator or an earlier event)")
            }
            if let transition = record.subscription {
                let moved = try await connection.query(
                    """
                    UPDATE subscriptions SET status = $1, period_start_ms = $2, period_end_ms = $3,
                        failed_attempts = $4, next_attempt_ms = $5, next_due_ms = $6, updated_ms = $7, version = version + 1,
                        fencing_token = NULL, \(Self.pendingPlanAssignments(applies: "$12", newPeriodStart: "$2"))
                    WHERE id = $8 AND period_end_ms = $9 AND failed_attempts = $10 AND version = $11
                    RETURNING id
                    """,
                    [
                        .text(transition.status.rawValue), .timestamp(transition.currentPeriodStart),
                        .timestamp(transition.currentPeriodEnd), .integer(Int64(transition.retry?.failedAttempts ?? 0)),
                        .timestamp(transition.retry?.nextAttemptAt), .timestamp(transition.nextDueAt), .timestamp(now),
                        .text(record.subscriptionID), .timestamp(transition.expectedPeriodEnd),
                        .integer(Int64(transition.expectedFailedAttempts)), .integer(transition.expectedVersion),
                        .integer(transition.appliesPendingPlan ? 1 : 0),
                    ]
                )
                // Rolls the whole delivery back, its claim included: the caller decides again.
                guard !moved.isEmpty else { throw Self.subscriptionChanged(record) }
            }
            _ = try await connection.query("UPDATE webhook_events SET outcome = 'settled' WHERE provider = $1 AND event_id = $2", key)
            return .settled
        }
    }
}
