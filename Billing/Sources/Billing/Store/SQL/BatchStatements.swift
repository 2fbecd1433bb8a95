/// The renewal steps for many renewals in one PostgreSQL statement each, a transaction of its
/// own: group commit for ``SQLLedger/beginCharges(_:fence:now:)`` and
/// ``SQLLedger/recordRenewals(_:fence:now:)``. The rows travel as parallel arrays (`unnest`);
/// PostgreSQL arrays of postgres-nio hold no NULLs, so a nullable value comes with a `has_…`
/// array of 0 or 1.
///
/// Both statements carry the fence check of their one-row forms (``SQLLedger``'s
/// `FencedInsertCharge` and ``RenewalStatement``): they share-lock the fence row and write only
/// when the stored token equals the fence's ($2), so a batch is fenced as a whole. They need
/// the rows' keys to be distinct (one renewal per subscription in flight; the ledger checks).
enum BatchStatements {
    /// Writes the pending charges: $1 election, $2 token, $3 now, then per row subscription id,
    /// period start, period end, idempotency key, amount, currency, customer, payment method,
    /// attempt. Answers the stored token (`fence_token`) with each charge written, NULLs when
    /// none was; no row when the election has no fence yet. A row whose period already has a
    /// charge that stays as it is comes back as nothing: the caller reads it.
    enum BeginCharges: SQLPreparedText {
        static let name = "billing_batch_begin_charges"
        static let sql = """
            WITH fence AS (
                SELECT token FROM fences WHERE election = $1 FOR SHARE
            ), written AS (
                INSERT INTO charges (\(SQLLedger.chargeColumns), key_sent_ms)
                SELECT i.subscription_id, i.period_start_ms, i.period_end_ms, i.idempotency_key, i.amount_minor, i.currency,
                       i.customer, i.payment_method, 'pending', NULL, NULL, $2, i.attempts, $3, $3, $3
                FROM unnest($4::text[], $5::bigint[], $6::bigint[], $7::text[], $8::bigint[], $9::text[], $10::text[], $11::text[], $12::bigint[])
                    AS i(subscription_id, period_start_ms, period_end_ms, idempotency_key, amount_minor, currency, customer, payment_method, attempts)
                CROSS JOIN fence WHERE fence.token = $2
                ORDER BY i.subscription_id, i.period_start_ms
                \(SQLLedger.reopenFailedCharge)
                RETURNING \(SQLLedger.chargeReadColumns)
            )
            SELECT fence.token AS fence_token, written.* FROM fence LEFT JOIN written ON TRUE
            """
    }

    /// Records outcomes that update both the charge and the subscription, each row all or
    /// nothing as in ``RenewalStatement``: it locks the open charge rows and the subscription
    /// rows as expected (`FOR UPDATE`, in key order), and updates a renewal's two rows only when
    /// both were found. $1 election, $2 token, $3 now, then per row: subscription id; the charge's
    /// period start, key, status, reference (+ has), failure code (+ has); the subscription's
    /// status, period start, period end, failed attempts, next attempt (+ has), next due (+ has),
    /// expected period end, expected failed attempts, expected version, whether it applies the scheduled plan (1 or 0). The charges' outcomes are
    /// final ones (no review reason, no back-off, no new send time: those go one by one). Answers one row per renewal: the stored
    /// token (`fence_token`, NULL without a fence), `subscription_id`, whether the charge was
    /// open (`charge_open`) and the subscription as expected (`subscription_expected`), and how
    /// many of its rows were updated (`updated`).
    enum RecordRenewals: SQLPreparedText {
        static let name = "billing_batch_record_renewals"
        static let sql = """
            WITH fence AS (
                SELECT token FROM fences WHERE election = $1 FOR SHARE
            ), input AS (
                SELECT i.subscription_id, i.period_start_ms, i.idempotency_key, i.charge_status,
                       CASE WHEN i.has_reference <> 0 THEN i.provider_reference END AS provider_reference,
                       CASE WHEN i.has_failure_code <> 0 THEN i.failure_code END AS failure_code,
                       i.status, i.new_period_start_ms, i.new_period_end_ms, i.failed_attempts,
                       CASE WHEN i.has_next_attempt <> 0 THEN i.next_attempt_ms END AS next_attempt_ms,
                       CASE WHEN i.has_next_due <> 0 THEN i.next_due_ms END AS next_due_ms,
                       i.expected_period_end_ms, i.expected_failed_attempts, i.expected_version, i.applies_pending_plan
                FROM unnest($4::text[], $5::bigint[], $6::text[], $7::text[], $8::text[], $9::bigint[], $10::text[], $11::bigint[],
                            $12::text[], $13::bigint[], $14::bigint[], $15::bigint[], $16::bigint[], $17::bigint[], $18::bigint[], $19::bigint[],
                            $20::bigint[], $21::bigint[], $22::bigint[], $23::bigint[])
                    AS i(subscription_id, period_start_ms, idempotency_key, charge_status, provider_reference, has_reference,
                         failure_code, has_failure_code, status, new_period_start_ms, new_period_end_ms, failed_attempts,
                         next_attempt_ms, has_next_attempt, next_due_ms, has_next_due, expected_period_end_ms, expected_failed_attempts,
                         expected_version, applies_pending_plan)
            ), open_charge AS (
                SELECT c.subscription_id FROM charges c
                JOIN input i ON c.subscription_id = i.subscription_id AND c.period_start_ms = i.period_start_ms
                    AND c.idempotency_key = i.idempotency_key
                WHERE c.status IN ('pending', 'unknown') AND c.review_reason IS NULL AND EXISTS (SELECT 1 FROM fence WHERE token = $2)
                ORDER BY c.subscription_id
                FOR UPDATE OF c
            ), expected_subscription AS (
                SELECT s.id FROM subscriptions s
                JOIN input i ON s.id = i.subscription_id AND s.period_end_ms = i.expected_period_end_ms
                    AND s.failed_attempts = i.expected_failed_attempts AND s.version = i.expected_version
                WHERE EXISTS (SELECT 1 FROM fence WHERE token = $2)
                ORDER BY s.id
                FOR UPDATE OF s
            ), ready AS (
                SELECT * FROM input
                WHERE subscription_id IN (SELECT subscription_id FROM open_charge)
                  AND subscription_id IN (SELECT id FROM expected_subscription)
            ), charge AS (
                UPDATE charges c SET status = r.charge_status, provider_reference = COALESCE(r.provider_reference, c.provider_reference),
                    failure_code = r.failure_code, fencing_token = $2, updated_ms = $3,
                    review_reason = NULL, next_send_ms = NULL, send_failures = 0
                FROM ready r WHERE c.subscription_id = r.subscription_id AND c.period_start_ms = r.period_start_ms
                RETURNING c.subscription_id
            ), subscription AS (
                UPDATE subscriptions s SET status = r.status, period_start_ms = r.new_period_start_ms, period_end_ms = r.new_period_end_ms,
                    failed_attempts = r.failed_attempts, next_attempt_ms = r.next_attempt_ms, next_due_ms = r.next_due_ms, updated_ms = $3,
                    version = s.version + 1, fencing_token = $2,
                    \(SQLLedger.pendingPlanAssignments(applies: "r.applies_pending_plan", newPeriodStart: "r.new_period_start_ms", row: "s."))
                FROM ready r WHERE s.id = r.subscription_id
                RETURNING s.id
            )
            SELECT (SELECT token FROM fence) AS fence_token, i.subscription_id,
                (i.subscription_id IN (SELECT subscription_id FROM open_charge)) AS charge_open,
                (i.subscription_id IN (SELECT id FROM expected_subscription)) AS subscription_expected,
                (i.subscription_id IN (SELECT subscription_id FROM charge))::int + (i.subscription_id IN (SELECT id FROM subscription))::int AS updated
            FROM input i
            """
    }
}
