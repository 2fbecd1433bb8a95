/// Subscription management and the operators' settlement of parked charges: targeted,
/// conditional updates that bump the subscription's version, never a rewrite of the whole row.
extension SQLLedger {
    func createSubscription(_ row: StoredSubscription, now: Timestamp) async throws {
        try await database.transaction { connection in
            let inserted = try await connection.query(
                Self.insertSubscription(onConflict: "DO NOTHING RETURNING id"), Self.subscriptionBinds(row, now: now)
            )
            guard !inserted.isEmpty else {
                throw BillingError(
                    code: .concurrentModification,
                    message:
                        "a subscription with id '\(row.id)' already exists; nothing was changed (pick another id, or cancel the existing one)"
                )
            }
        }
    }

    func cancelSubscription(id: String, atPeriodEnd: Bool, now: Timestamp) async throws -> StoredSubscription {
        let change =
            atPeriodEnd
            ? "cancel_at_period_end = 1"
            : "status = 'canceled', next_attempt_ms = NULL, next_due_ms = NULL"
        return try await database.transaction { connection in
            let rows = try await connection.query(
                """
                UPDATE subscriptions SET \(change), updated_ms = $2, version = version + 1, fencing_token = NULL
                WHERE id = $1 AND status IN ('active', 'past_due')
                RETURNING \(Self.subscriptionReadColumns)
                """,
                [.text(id), .timestamp(now)]
            )
            if let row = rows.first { return try Self.decodeSubscription(row) }
            guard let existing = try await connection.query("SELECT status FROM subscriptions WHERE id = $1", [.text(id)]).first else {
                throw BillingError(code: .invalidSubscription, message: "no subscription '\(id)' in \(database.displayName)")
            }
            throw BillingError(
                code: .invalidSubscription,
                message: "subscription '\(id)' is \(try existing.text("status")), not active or past due: there is nothing to cancel"
            )
        }
    }

    func chargesInReview(limit: Int) async throws -> [Charge] {
        try await database.transaction { connection in
            try await connection.query(
                "SELECT \(Self.chargeReadColumns) FROM charges WHERE review_reason IS NOT NULL ORDER BY subscription_id, period_start_ms LIMIT $1",
                [.integer(Int64(limit))]
            ).map(Self.decodeCharge)
        }
    }

    func countChargesInReview() async throws -> Int {
        try await database.transaction { connection in
            let row = try await connection.query("SELECT count(*) AS in_review FROM charges WHERE review_reason IS NOT NULL").first
            return Int(clamping: try row?.integer("in_review") ?? 0)
        }
    }

    func resolveCharge(_ resolution: ChargeResolution, now: Timestamp) async throws -> Charge {
        try await database.transaction { connection in
            guard
                let found = try await connection.query(
                    "SELECT \(Self.chargeReadColumns) FROM charges WHERE idempotency_key = $1", [.text(resolution.idempotencyKey)]
                ).first
            else {
                throw BillingError(
                    code: .invalidSubscription,
                    message:
                        "no charge has the idempotency key '\(resolution.idempotencyKey)'; `billing audit` lists the charges that need review"
                )
            }
            let charge = try Self.decodeCharge(found)
            guard charge.status.isUnresolved, let reason = charge.reviewReason else {
                throw BillingError(
                    code: .invalidSubscription,
                    message:
                        "the charge '\(resolution.idempotencyKey)' is \(charge.status)\(charge.reviewReason == nil ? " and not parked for review" : ""): only a parked open charge can be resolved"
                )
            }
            // Conditional on the charge still being open and parked: a concurrent resolution loses.
            let updated = try await connection.query(
                """
                UPDATE charges SET status = $2, provider_reference = COALESCE($3, provider_reference), failure_code = $4,
                    review_reason = NULL, next_send_ms = NULL, send_failures = 0, updated_ms = $5
                WHERE idempotency_key = $1 AND status IN ('pending', 'unknown') AND review_reason IS NOT NULL
                RETURNING \(Self.chargeReadColumns)
                """,
                [
                    .text(resolution.idempotencyKey), .text(resolution.outcome.rawValue), .text(resolution.providerReference),
                    .text(resolution.outcome == .failed ? "resolved_not_charged" : nil), .timestamp(now),
                ]
            )
            guard let written = updated.first else {
                throw BillingError(
                    code: .concurrentModification,
                    message: "the charge '\(resolution.idempotencyKey)' was settled by someone else meanwhile; nothing was written")
            }
            // The subscription moves as the engine would have moved it, if the charge is for its next period.
            if let row = try await connection.query(
                "SELECT \(Self.subscriptionReadColumns) FROM subscriptions WHERE id = $1", [.text(charge.subscriptionID)]
            ).first {
                let subscription = try Self.decodeSubscription(row)
                let live =
                    subscription.status == SubscriptionStatus.active.rawValue || subscription.status == SubscriptionStatus.pastDue.rawValue
                if live, subscription.currentPeriodEnd == charge.periodStart {
                    let (status, start, end, failures, nextAttempt, nextDue):
                        (SubscriptionStatus, Timestamp, Timestamp, Int, Timestamp?, Timestamp?) =
                            resolution.outcome == .succeeded
                            ? (.active, charge.periodStart, charge.periodEnd, 0, nil, charge.periodEnd)
                            // Not charged: this attempt counts as failed, and the next dunning step is due now.
                            : (.pastDue, subscription.currentPeriodStart, subscription.currentPeriodEnd, charge.attempts, now, now)
                    let moved = try await connection.query(
                        """
                        UPDATE subscriptions SET status = $2, period_start_ms = $3, period_end_ms = $4, failed_attempts = $5,
                            next_attempt_ms = $6, next_due_ms = $7, updated_ms = $8, version = version + 1, fencing_token = NULL
                        WHERE id = $1 AND version = $9
                        RETURNING id
                        """,
                        [
                            .text(charge.subscriptionID), .text(status.rawValue), .timestamp(start), .timestamp(end),
                            .integer(Int64(failures)), .timestamp(nextAttempt), .timestamp(nextDue), .timestamp(now),
                            .integer(subscription.version),
                        ]
                    )
                    guard !moved.isEmpty else {
                        throw BillingError(
                            code: .concurrentModification,
                            message:
                                "subscription \(charge.subscriptionID) changed while its charge was being resolved; nothing was written, try again"
                        )
                    }
                }
            }
            _ = try await connection.query(
                """
                INSERT INTO charge_resolutions (idempotency_key, resolved_as, provider_reference, review_reason, operator, note, fence_token, resolved_ms)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
                """,
                [
                    .text(resolution.idempotencyKey), .text(resolution.outcome.rawValue), .text(resolution.providerReference),
                    .text(reason), .text(resolution.operatorName), .text(resolution.note),
                    .integer(charge.fencingToken.rawValue), .timestamp(now),
                ]
            )
            return try Self.decodeCharge(written)
        }
    }
}
