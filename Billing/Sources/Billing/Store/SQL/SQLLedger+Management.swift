/// Subscription management and the operators' settlement of parked charges: targeted,
/// conditional updates that bump the subscription's version, never a rewrite of the whole row.
extension SQLLedger {
    func createSubscription(_ row: StoredSubscription, recording: RecordedCreation?, now: Timestamp) async throws {
        try await database.transaction { connection in
            if let recording {
                let recorded = try await connection.query(
                    """
                    INSERT INTO api_idempotency_keys (idempotency_key, request, subscription_id, response, created_ms)
                    VALUES ($1, $2, $3, $4, $5) ON CONFLICT (idempotency_key) DO NOTHING RETURNING idempotency_key
                    """,
                    [
                        .text(recording.idempotencyKey), .text(recording.request), .text(recording.subscriptionID),
                        .text(recording.response), .timestamp(now),
                    ]
                )
                guard !recorded.isEmpty else {
                    throw BillingError(
                        code: .idempotencyKeyReused,
                        message:
                            "the idempotency key '\(recording.idempotencyKey)' was used by another request meanwhile; nothing was changed")
                }
            }
            let inserted = try await connection.query(
                Self.insertSubscription(onConflict: "DO NOTHING RETURNING id"), Self.subscriptionBinds(row, now: now)
            )
            guard !inserted.isEmpty else {
                throw BillingError(
                    code: .transitionNotAllowed,
                    message:
                        "a subscription with id '\(row.id)' already exists; nothing was changed (pick another id, or cancel the existing one)"
                )
            }
        }
    }

    func recordedCreation(idempotencyKey: String) async throws -> RecordedCreation? {
        try await database.transaction { connection in
            guard
                let row = try await connection.query(
                    "SELECT request, subscription_id, response FROM api_idempotency_keys WHERE idempotency_key = $1",
                    [.text(idempotencyKey)]
                ).first
            else { return nil }
            return RecordedCreation(
                idempotencyKey: idempotencyKey, request: try row.text("request"), subscriptionID: try row.text("subscription_id"),
                response: try row.text("response"))
        }
    }

    func changeSubscription(
        id: String, ifVersion: Int64?, _ change: SubscriptionChange, now: Timestamp
    ) async throws
        -> StoredSubscription
    {
        // Read, change, write only while the version is the one read: a renewal or another change
        // in between makes the write miss, and the change is made again on the newer row (unless
        // the caller asked for the older version).
        for _ in 0..<3 {
            let written: StoredSubscription? = try await database.transaction { connection in
                guard
                    let found = try await connection.query(
                        "SELECT \(Self.subscriptionReadColumns) FROM subscriptions WHERE id = $1", [.text(id)]
                    ).first
                else {
                    throw BillingError(code: .subscriptionNotFound, message: "no subscription '\(id)' in \(database.displayName)")
                }
                let row = try Self.decodeSubscription(found)
                if let ifVersion, ifVersion != row.version {
                    throw BillingError(
                        code: .versionMismatch,
                        message: "subscription '\(id)' is at version \(row.version), not \(ifVersion): read it again and decide anew")
                }
                let changed = try change.applied(to: row, at: now)
                let updated = try await connection.query(
                    """
                    UPDATE subscriptions SET status = $3, payment_method = $4, period_start_ms = $5, period_end_ms = $6,
                        cancel_at_period_end = $7, next_attempt_ms = $8, next_due_ms = $9, pending_plan_interval = $10,
                        pending_price_minor = $11, pending_currency = $12, updated_ms = $13, version = version + 1, fencing_token = NULL
                    WHERE id = $1 AND version = $2
                    RETURNING \(Self.subscriptionReadColumns)
                    """,
                    [
                        .text(id), .integer(row.version), .text(changed.status), .text(changed.paymentMethod),
                        .timestamp(changed.currentPeriodStart), .timestamp(changed.currentPeriodEnd),
                        .integer(changed.cancelAtPeriodEnd ? 1 : 0), .timestamp(changed.nextAttemptAt), .timestamp(changed.nextDueAt),
                        .text(changed.pendingInterval), .integer(changed.pendingPriceMinor), .text(changed.pendingCurrency),
                        .timestamp(now),
                    ]
                )
                return try updated.first.map(Self.decodeSubscription)
            }
            if let written { return written }
        }
        throw BillingError(
            code: .concurrentModification,
            message: "subscription '\(id)' kept changing while it was being changed; nothing was written, try again")
    }

    func subscriptions(status: String?, after: String?, limit: Int) async throws -> [StoredSubscription] {
        try await database.transaction { connection in
            try await connection.query(
                """
                SELECT \(Self.subscriptionReadColumns) FROM subscriptions
                WHERE (CAST($1 AS TEXT) IS NULL OR status = $1) AND (CAST($2 AS TEXT) IS NULL OR id > $2)
                ORDER BY id LIMIT $3
                """,
                [.text(status), .text(after), .integer(Int64(limit))]
            ).map(Self.decodeSubscription)
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
                            next_attempt_ms = $6, next_due_ms = $7, updated_ms = $8, version = version + 1, fencing_token = NULL,
                            \(Self.pendingPlanAssignments(applies: "$10", newPeriodStart: "$3"))
                        WHERE id = $1 AND version = $9
                        RETURNING id
                        """,
                        [
                            .text(charge.subscriptionID), .text(status.rawValue), .timestamp(start), .timestamp(end),
                            .integer(Int64(failures)), .timestamp(nextAttempt), .timestamp(nextDue), .timestamp(now),
                            .integer(subscription.version),
                            .integer(
                                resolution.outcome == .succeeded && (try? subscription.validated().chargeStartsPendingPlan(charge)) == true
                                    ? 1 : 0),
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
