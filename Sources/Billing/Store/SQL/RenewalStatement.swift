/// ``SQLLedger/recordRenewal(_:fence:now:)``'s fence check and updates in one PostgreSQL
/// statement, so that step (c) of a renewal costs one round trip instead of three.
///
/// The statement share-locks the fence row and updates the charge and the subscription only when
/// the stored token equals the fence's; it answers one row: the stored token (`fence_token`,
/// NULL when the election has no fence yet) and how many rows each update changed (`charges`,
/// `subscriptions`). The caller throws when an update missed, which rolls both back.
struct RenewalStatement {
    let sql: String

    /// The statement for `record`'s parts; nil when it has nothing to update.
    init?(_ record: RenewalRecord) {
        switch (record.charge != nil, record.subscription != nil) {
        case (true, true): sql = Self.chargeAndSubscription
        case (true, false): sql = Self.chargeOnly
        case (false, true): sql = Self.subscriptionOnly
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
            ]
        }
        if let transition = record.subscription {
            binds += [
                .text(transition.status.rawValue), .timestamp(transition.currentPeriodStart),
                .timestamp(transition.currentPeriodEnd), .integer(Int64(transition.retry?.failedAttempts ?? 0)),
                .timestamp(transition.retry?.nextAttemptAt), .timestamp(transition.nextDueAt),
                .timestamp(transition.expectedPeriodEnd), .integer(Int64(transition.expectedFailedAttempts)),
            ]
        }
        return binds
    }

    private static let chargeAndSubscription = make(charge: true, subscription: true)
    private static let chargeOnly = make(charge: true, subscription: false)
    private static let subscriptionOnly = make(charge: false, subscription: true)

    /// $1 election, $2 token, $3 now, $4 subscription id, then the charge's and the
    /// subscription's values in the order of ``binds(_:fence:now:)``. The updates' conditions are
    /// those of the two-statement path in ``SQLLedger``, plus the fence.
    private static func make(charge: Bool, subscription: Bool) -> String {
        var placeholders = 4
        func next() -> String {
            placeholders += 1
            return "$\(placeholders)"
        }
        var sql = "WITH fence AS (SELECT token FROM fences WHERE election = $1 FOR SHARE)"
        if charge {
            let (status, reference, failure, periodStart, key) = (next(), next(), next(), next(), next())
            sql += """
                , charge AS (
                    UPDATE charges SET status = \(status), provider_reference = COALESCE(\(reference), provider_reference),
                        failure_code = \(failure), fencing_token = $2, updated_ms = $3
                    WHERE subscription_id = $4 AND period_start_ms = \(periodStart) AND idempotency_key = \(key)
                      AND status IN ('pending', 'unknown') AND EXISTS (SELECT 1 FROM fence WHERE token = $2)
                    RETURNING 1
                )
                """
        }
        if subscription {
            let (status, periodStart, periodEnd, failedAttempts, nextAttempt, nextDue, expectedPeriodEnd, expectedFailedAttempts) =
                (next(), next(), next(), next(), next(), next(), next(), next())
            sql += """
                , subscription AS (
                    UPDATE subscriptions SET status = \(status), period_start_ms = \(periodStart), period_end_ms = \(periodEnd),
                        failed_attempts = \(failedAttempts), next_attempt_ms = \(nextAttempt), next_due_ms = \(nextDue), updated_ms = $3
                    WHERE id = $4 AND period_end_ms = \(expectedPeriodEnd) AND failed_attempts = \(expectedFailedAttempts)
                      AND EXISTS (SELECT 1 FROM fence WHERE token = $2)
                    RETURNING 1
                )
                """
        }
        sql += """
             SELECT (SELECT token FROM fence) AS fence_token, \
            \(charge ? "(SELECT count(*) FROM charge)" : "0") AS charges, \
            \(subscription ? "(SELECT count(*) FROM subscription)" : "0") AS subscriptions
            """
        return sql
    }
}
