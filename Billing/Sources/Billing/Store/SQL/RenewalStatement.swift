/// ``SQLLedger/recordRenewal(_:fence:now:)``'s fence check and updates in one PostgreSQL
/// statement, a transaction of its own, so that step (c) of a renewal costs one round trip
/// instead of five.
///
/// The statement share-locks the fence row and writes only when the stored token equals the
/// fence's. With both a charge and a subscription to update it is all or nothing: it first locks
/// the open charge row and the subscription row as expected (`FOR UPDATE`; under READ COMMITTED
/// a row changed meanwhile is checked again in its newest version), and updates both only when
/// both were found; once locked, neither can change before the statement ends. It answers one
/// row: the stored token (`fence_token`, NULL when the election has no fence yet), whether the
/// charge was open (`charges`) and the subscription as expected (`subscriptions`), 1 or 0 each,
/// and how many rows it updated (`updated`).
struct RenewalStatement {
    /// The statement for the record's parts.
    let text: any SQLPreparedText.Type

    /// The statement for `record`'s parts; nil when it has nothing to update.
    init?(_ record: RenewalRecord) {
        switch (record.charge != nil, record.subscription != nil) {
        case (true, true): text = ChargeAndSubscription.self
        case (true, false): text = ChargeOnly.self
        case (false, true): text = SubscriptionOnly.self
        case (false, false): return nil
        }
    }

    /// The values for ``sql``, in the order its placeholders were numbered by ``make(charge:subscription:)``.
    func binds(_ record: RenewalRecord, fence: Fence, now: Timestamp) -> [SQLValue] {
        var binds: [SQLValue] = [.text(fence.election), .integer(fence.token.rawValue), .timestamp(now), .text(record.subscriptionID)]
        if let charge = record.charge {
            binds += [
                .text(charge.status.rawValue), .text(charge.providerReference), .text(charge.failureCode),
                .timestamp(record.periodStart), .text(charge.idempotencyKey),
                .text(charge.reviewReason), .timestamp(charge.nextSendAt), .timestamp(charge.keySentAt), .text(charge.customerActionJSON),
            ]
        }
        if let transition = record.subscription {
            binds += [
                .text(transition.status.rawValue), .timestamp(transition.currentPeriodStart),
                .timestamp(transition.currentPeriodEnd), .integer(Int64(transition.retry?.failedAttempts ?? 0)),
                .timestamp(transition.retry?.nextAttemptAt), .timestamp(transition.nextDueAt),
                .timestamp(transition.expectedPeriodEnd), .integer(Int64(transition.expectedFailedAttempts)),
                .integer(transition.expectedVersion), .integer(transition.appliesPendingPlan ? 1 : 0),
            ]
        }
        return binds
    }

    private enum ChargeAndSubscription: SQLPreparedText {
        static let name = "billing_record_charge_and_subscription"
        static let sql = make(charge: true, subscription: true)
    }

    private enum ChargeOnly: SQLPreparedText {
        static let name = "billing_record_charge"
        static let sql = make(charge: true, subscription: false)
    }

    private enum SubscriptionOnly: SQLPreparedText {
        static let name = "billing_record_subscription"
        static let sql = make(charge: false, subscription: true)
    }

    /// $1 election, $2 token, $3 now, $4 subscription id, then the charge's and the
    /// subscription's values in the order of ``binds(_:fence:now:)``. The conditions are those of
    /// the two-statement path in ``SQLLedger``, plus the fence.
    private static func make(charge: Bool, subscription: Bool) -> String {
        var placeholders = 4
        func next() -> String {
            placeholders += 1
            return "$\(placeholders)"
        }
        let fenced = "EXISTS (SELECT 1 FROM fence WHERE token = $2)"
        // A WITH query sees only those before it: the fence, then the row locks, then the updates.
        var locks = ["fence AS (SELECT token FROM fences WHERE election = $1 FOR SHARE)"]
        var updates: [String] = []
        var answers: [String] = []
        if charge {
            let (status, reference, failure, periodStart, key) = (next(), next(), next(), next(), next())
            let (review, nextSend, keySent, action) = (next(), next(), next(), next())
            let open =
                "subscription_id = $4 AND period_start_ms = \(periodStart) AND idempotency_key = \(key) AND \(SQLLedger.chargeOpenForEngine)"
            let assignments = SQLLedger.chargeUpdateAssignments(
                status: status, reference: reference, failure: failure, token: "$2", now: "$3", review: review, nextSend: nextSend,
                keySent: keySent, action: action
            )
            let update = "UPDATE charges SET \(assignments)"
            if subscription {
                locks.append("open_charge AS (SELECT 1 FROM charges WHERE \(open) AND \(fenced) FOR UPDATE)")
                updates.append(
                    "charge AS (\(update) WHERE subscription_id = $4 AND period_start_ms = \(periodStart) AND EXISTS (SELECT 1 FROM open_charge) AND EXISTS (SELECT 1 FROM expected_subscription) RETURNING 1)"
                )
                answers.append("(SELECT count(*) FROM open_charge) AS charges")
            } else {
                updates.append("charge AS (\(update) WHERE \(open) AND \(fenced) RETURNING 1)")
                answers.append("(SELECT count(*) FROM charge) AS charges")
            }
        }
        if subscription {
            let (
                status, periodStart, periodEnd, failedAttempts, nextAttempt, nextDue, expectedPeriodEnd, expectedFailedAttempts,
                expectedVersion, appliesPendingPlan
            ) =
                (next(), next(), next(), next(), next(), next(), next(), next(), next(), next())
            let expected =
                "id = $4 AND period_end_ms = \(expectedPeriodEnd) AND failed_attempts = \(expectedFailedAttempts) AND version = \(expectedVersion)"
            let update = """
                UPDATE subscriptions SET status = \(status), period_start_ms = \(periodStart), period_end_ms = \(periodEnd),
                    failed_attempts = \(failedAttempts), next_attempt_ms = \(nextAttempt), next_due_ms = \(nextDue), updated_ms = $3,
                    version = version + 1, fencing_token = $2, \(SQLLedger.pendingPlanAssignments(applies: appliesPendingPlan, newPeriodStart: periodStart))
                """
            if charge {
                locks.append("expected_subscription AS (SELECT 1 FROM subscriptions WHERE \(expected) AND \(fenced) FOR UPDATE)")
                updates.append(
                    "subscription AS (\(update) WHERE id = $4 AND EXISTS (SELECT 1 FROM open_charge) AND EXISTS (SELECT 1 FROM expected_subscription) RETURNING 1)"
                )
                answers.append("(SELECT count(*) FROM expected_subscription) AS subscriptions")
            } else {
                updates.append("subscription AS (\(update) WHERE \(expected) AND \(fenced) RETURNING 1)")
                answers.append("(SELECT count(*) FROM subscription) AS subscriptions")
            }
        }
        let updated = [charge ? "(SELECT count(*) FROM charge)" : nil, subscription ? "(SELECT count(*) FROM subscription)" : nil]
            .compactMap { $0 }
        answers.append(updated.joined(separator: " + ") + " AS updated")
        return "WITH " + (locks + updates).joined(separator: ",\n") + "\nSELECT (SELECT token FROM fence) AS fence_token, "
            + answers.joined(separator: ", ")
    }
}
