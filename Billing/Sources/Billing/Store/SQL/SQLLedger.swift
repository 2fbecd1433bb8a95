import LeaderElection
import Payments

/// The store operations, written once over ``SQLDatabase`` and shared by ``SQLiteBillingStore``
/// and ``PostgresBillingStore``. The renewal steps, the engine's hot path, differ where
/// ``SQLDialect/fencesInWriteStatements``: PostgreSQL runs each as one prepared statement, a
/// transaction of its own, instead of five round trips.
struct SQLLedger: Sendable {
    let database: any SQLDatabase

    static let subscriptionColumns = """
        id, customer, payment_method, plan_interval, price_minor, currency, status, anchor_ms, period_start_ms, \
        period_end_ms, cancel_at_period_end, failed_attempts, next_attempt_ms
        """
    static let chargeColumns = """
        subscription_id, period_start_ms, period_end_ms, idempotency_key, amount_minor, currency, customer, payment_method, status, \
        provider_reference, failure_code, fencing_token, attempts, created_ms, updated_ms
        """
    /// What reads and `RETURNING` clauses take: the written columns and those that later writes fill.
    static let subscriptionReadColumns = subscriptionColumns + ", version, pending_plan_interval, pending_price_minor, pending_currency"

    /// The assignments by which a renewal whose transition ``SubscriptionTransition/appliesPendingPlan``
    /// (`applies`, an expression that is 1 or 0) makes a scheduled plan the plan, starting a new
    /// billing cycle at `newPeriodStart` when the interval changes. `row` qualifies the
    /// subscription's columns (`s.` where an UPDATE joins other tables); SET expressions read the
    /// row as it was before the UPDATE.
    static func pendingPlanAssignments(applies: String, newPeriodStart: String, row: String = "") -> String {
        let advances = "\(applies) = 1 AND \(row)pending_plan_interval IS NOT NULL"
        return """
            plan_interval = CASE WHEN \(advances) THEN \(row)pending_plan_interval ELSE \(row)plan_interval END,
            price_minor = CASE WHEN \(advances) THEN \(row)pending_price_minor ELSE \(row)price_minor END,
            currency = CASE WHEN \(advances) THEN \(row)pending_currency ELSE \(row)currency END,
            anchor_ms = CASE WHEN \(advances) AND \(row)pending_plan_interval <> \(row)plan_interval THEN \(newPeriodStart) ELSE \(row)anchor_ms END,
            pending_plan_interval = CASE WHEN \(advances) THEN NULL ELSE \(row)pending_plan_interval END,
            pending_price_minor = CASE WHEN \(advances) THEN NULL ELSE \(row)pending_price_minor END,
            pending_currency = CASE WHEN \(advances) THEN NULL ELSE \(row)pending_currency END
            """
    }
    static let chargeReadColumns = chargeColumns + ", key_sent_ms, next_send_ms, send_failures, review_reason, customer_action"

    /// Applies the schema migrations.
    func migrate() async throws {
        try await database.transaction { connection in
            try await BillingSchema.migrate(connection, dialect: database.dialect, displayName: database.displayName)
        }
    }

    /// The database server's clock (PostgreSQL's `clock_timestamp()`), in whole milliseconds.
    func databaseTime() async throws -> Timestamp {
        try await database.transaction { connection in
            guard
                let row = try await connection.query("SELECT CAST(FLOOR(EXTRACT(EPOCH FROM clock_timestamp()) * 1000) AS BIGINT) AS now_ms")
                    .first
            else {
                throw BillingError.invalidStoreData("\(database.displayName) did not answer a request for its time")
            }
            return try row.timestamp("now_ms")
        }
    }

    // MARK: Subscriptions

    func saveSubscription(_ row: StoredSubscription, now: Timestamp) async throws {
        try await database.transaction { connection in
            _ = try await connection.query(
                Self.insertSubscription(
                    onConflict: """
                        DO UPDATE SET
                            customer = excluded.customer, payment_method = excluded.payment_method,
                            plan_interval = excluded.plan_interval, price_minor = excluded.price_minor,
                            currency = excluded.currency, status = excluded.status, anchor_ms = excluded.anchor_ms,
                            period_start_ms = excluded.period_start_ms, period_end_ms = excluded.period_end_ms,
                            cancel_at_period_end = excluded.cancel_at_period_end, failed_attempts = excluded.failed_attempts,
                            next_attempt_ms = excluded.next_attempt_ms, next_due_ms = excluded.next_due_ms,
                            updated_ms = excluded.updated_ms, version = subscriptions.version + 1, fencing_token = NULL
                        """),
                Self.subscriptionBinds(row, now: now)
            )
        }
    }

    /// The `INSERT` of a subscription row (binds: ``subscriptionBinds(_:now:)``), with what to do
    /// when the id exists.
    static func insertSubscription(onConflict action: String) -> String {
        """
        INSERT INTO subscriptions (\(subscriptionColumns), next_due_ms, updated_ms)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)
        ON CONFLICT (id) \(action)
        """
    }

    static func subscriptionBinds(_ row: StoredSubscription, now: Timestamp) -> [SQLValue] {
        [
            .text(row.id), .text(row.customer), .text(row.paymentMethod), .text(row.interval),
            .integer(row.priceMinor), .text(row.currency), .text(row.status),
            .timestamp(row.billingCycleAnchor), .timestamp(row.currentPeriodStart), .timestamp(row.currentPeriodEnd),
            .integer(row.cancelAtPeriodEnd ? 1 : 0), .integer(Int64(row.failedAttempts)),
            .timestamp(row.nextAttemptAt), .timestamp(row.nextDueAt), .timestamp(now),
        ]
    }

    func subscription(id: String) async throws -> StoredSubscription? {
        try await database.transaction { connection in
            try await connection.query("SELECT \(Self.subscriptionReadColumns) FROM subscriptions WHERE id = $1", [.text(id)])
                .first.map(Self.decodeSubscription)
        }
    }

    func dueSubscriptions(at now: Timestamp, after cursor: DueCursor?, limit: Int) async throws -> [StoredSubscription] {
        try await database.transaction { connection in
            let rows: [SQLRow]
            if let cursor {
                rows = try await connection.query(
                    """
                    SELECT \(Self.subscriptionReadColumns) FROM subscriptions
                    WHERE next_due_ms IS NOT NULL AND next_due_ms <= $1
                      AND (next_due_ms > $2 OR (next_due_ms = $2 AND id > $3))
                    ORDER BY next_due_ms, id LIMIT $4
                    """,
                    [.timestamp(now), .timestamp(cursor.dueAt), .text(cursor.subscriptionID), .integer(Int64(limit))]
                )
            } else {
                rows = try await connection.query(
                    """
                    SELECT \(Self.subscriptionReadColumns) FROM subscriptions
                    WHERE next_due_ms IS NOT NULL AND next_due_ms <= $1
                    ORDER BY next_due_ms, id LIMIT $2
                    """,
                    [.timestamp(now), .integer(Int64(limit))]
                )
            }
            return try rows.map(Self.decodeSubscription)
        }
    }

    // MARK: Charges

    func charge(idempotencyKey: String) async throws -> Charge? {
        try await database.transaction { connection in
            try await connection.query("SELECT \(Self.chargeReadColumns) FROM charges WHERE idempotency_key = $1", [.text(idempotencyKey)])
                .first.map(Self.decodeCharge)
        }
    }

    func charges(subscriptionID: String) async throws -> [Charge] {
        try await database.transaction { connection in
            try await connection.query(
                "SELECT \(Self.chargeReadColumns) FROM charges WHERE subscription_id = $1 ORDER BY period_start_ms",
                [.text(subscriptionID)]
            ).map(Self.decodeCharge)
        }
    }

    func charges(after cursor: ChargeCursor?, limit: Int, unresolvedOnly: Bool, readyAt: Timestamp? = nil) async throws -> [Charge] {
        var filter = unresolvedOnly ? Self.chargeOpenForEngine : "1 = 1"
        if let readyAt {
            // A literal, not a bind: the two queries below number their binds differently.
            filter += " AND (next_send_ms IS NULL OR next_send_ms <= \(readyAt.millisecondsSinceEpoch))"
        }
        return try await database.transaction { connection in
            let rows: [SQLRow]
            if let cursor {
                rows = try await connection.query(
                    """
                    SELECT \(Self.chargeReadColumns) FROM charges
                    WHERE \(filter) AND (subscription_id > $1 OR (subscription_id = $1 AND period_start_ms > $2))
                    ORDER BY subscription_id, period_start_ms LIMIT $3
                    """,
                    [.text(cursor.subscriptionID), .timestamp(cursor.periodStart), .integer(Int64(limit))]
                )
            } else {
                rows = try await connection.query(
                    "SELECT \(Self.chargeReadColumns) FROM charges WHERE \(filter) ORDER BY subscription_id, period_start_ms LIMIT $1",
                    [.integer(Int64(limit))]
                )
            }
            return try rows.map(Self.decodeCharge)
        }
    }

    // MARK: Fence

    func highestFencingToken(election: String) async throws -> FencingToken? {
        try await database.transaction { connection in
            try await connection.query("SELECT token FROM fences WHERE election = $1", [.text(election)])
                .first.map { FencingToken(try $0.integer("token")) }
        }
    }

    func claimFence(_ fence: Fence) async throws {
        try await database.transaction { connection in
            try await checkFence(fence, connection)
        }
    }

    /// The fence check every engine transaction starts with: passes when `fence`'s token is at
    /// least the stored highest, raising the stored highest to it; throws
    /// ``BillingError/Code/staleFencingToken`` otherwise. (On PostgreSQL the renewal steps first
    /// try a single statement that carries the check itself and writes only under an equal token;
    /// this runs when that statement wrote nothing.)
    private func checkFence(_ fence: Fence, _ connection: any SQLConnection) async throws {
        let token = fence.token.rawValue
        let read = "SELECT token FROM fences WHERE election = $1\(database.dialect.fenceReadLock)"
        if let stored = try await connection.query(read, [.text(fence.election)]).first.map({ try $0.integer("token") }) {
            if stored == token { return }
            if stored > token {
                if FencePredicate.isRemoved { return }
                throw fence.staleError(highest: FencingToken(stored))
            }
        }
        let raised = try await connection.query(
            """
            INSERT INTO fences (election, token) VALUES ($1, $2)
            ON CONFLICT (election) DO UPDATE SET token = excluded.token WHERE fences.token < excluded.token
            RETURNING token
            """,
            [.text(fence.election), .integer(token)]
        )
        if raised.isEmpty {
            // Another transaction raised it first; ours is still fine if it is not higher.
            let stored =
                try await connection.query("SELECT token FROM fences WHERE election = $1", [.text(fence.election)])
                .first.map { try $0.integer("token") } ?? token
            if stored > token, !FencePredicate.isRemoved { throw fence.staleError(highest: FencingToken(stored)) }
        }
    }

    // MARK: Renewal steps

    func beginCharge(_ intent: ChargeIntent, fence: Fence, now: Timestamp) async throws -> Charge {
        let binds: [SQLValue] = [
            .text(intent.subscriptionID), .timestamp(intent.periodStart), .timestamp(intent.periodEnd),
            .text(intent.idempotencyKey), .integer(intent.amount.minorUnits), .text(intent.amount.currency.code),
            .integer(fence.token.rawValue), .integer(Int64(intent.attempt)), .timestamp(now),
            .text(intent.customer), .text(intent.paymentMethod),
        ]
        if database.dialect.fencesInWriteStatements {
            // The fence check and the write in one statement, a transaction of its own: one round
            // trip instead of five. It writes only when the stored token equals ours; when it
            // wrote nothing (a fence to raise or refuse, or a charge already there), the
            // transaction below does what it would have done anyway.
            let rows = try await database.statement(Self.fenced(FencedInsertCharge.self), binds + [.text(fence.election)])
            if let row = rows.first, Self.statementDecided(row, fence), row.values["subscription_id"] != .null {
                return try Self.decodeCharge(row)
            }
        }
        return try await database.transaction { connection in
            try await checkFence(fence, connection)
            if let row = try await connection.query(prepared: InsertCharge.self, binds).first {
                return try Self.decodeCharge(row)
            }
            return try await existingCharge(intent, connection)
        }
    }

    /// Inserts the pending charge, or reopens a failed one for a later attempt; returns the row
    /// written, and no row when the period already has a charge that stays as it is.
    /// What a new charge row does when its period already has one: it replaces only a failed
    /// charge, and only for a later attempt (a dunning retry); otherwise nothing is written.
    static let reopenFailedCharge = """
        ON CONFLICT (subscription_id, period_start_ms) DO UPDATE SET
            period_end_ms = excluded.period_end_ms, idempotency_key = excluded.idempotency_key,
            amount_minor = excluded.amount_minor, currency = excluded.currency, customer = excluded.customer,
            payment_method = excluded.payment_method, status = 'pending',
            provider_reference = NULL, failure_code = NULL, fencing_token = excluded.fencing_token,
            attempts = excluded.attempts, updated_ms = excluded.updated_ms, key_sent_ms = excluded.key_sent_ms,
            next_send_ms = NULL, send_failures = 0, review_reason = NULL
        WHERE charges.status = 'failed' AND charges.attempts < excluded.attempts
        """

    private enum InsertCharge: SQLPreparedText {
        static let name = "billing_insert_charge"
        static let sql = """
            INSERT INTO charges (\(SQLLedger.chargeColumns), key_sent_ms)
            VALUES ($1, $2, $3, $4, $5, $6, $10, $11, 'pending', NULL, NULL, $7, $8, $9, $9, $9)
            \(SQLLedger.reopenFailedCharge)
            RETURNING \(SQLLedger.chargeReadColumns)
            """
    }

    /// ``InsertCharge`` behind the fence check, in one statement (PostgreSQL): share-locks the
    /// fence row ($12 is the election), writes only when the stored token equals ours ($7), and
    /// answers one row with the stored token (`fence_token`) and the charge written (NULLs when
    /// none was), or no row when the election has no fence yet.
    private enum FencedInsertCharge: SQLPreparedText {
        static let name = "billing_fenced_insert_charge"
        static let sql = """
            WITH fence AS (
                SELECT token FROM fences WHERE election = $12 FOR SHARE
            ), written AS (
                INSERT INTO charges (\(SQLLedger.chargeColumns), key_sent_ms)
                SELECT $1, $2, $3, $4, $5, $6, $10, $11, 'pending', NULL, NULL, $7, $8, $9, $9, $9 FROM fence WHERE fence.token = $7
                \(SQLLedger.reopenFailedCharge)
                RETURNING \(SQLLedger.chargeReadColumns)
            )
            SELECT fence.token AS fence_token, written.* FROM fence LEFT JOIN written ON TRUE
            """
    }

    /// The charge row of `intent`'s period, which an earlier attempt wrote.
    private func existingCharge(_ intent: ChargeIntent, _ connection: any SQLConnection) async throws -> Charge {
        guard
            let row = try await connection.query(
                "SELECT \(Self.chargeReadColumns) FROM charges WHERE subscription_id = $1 AND period_start_ms = $2",
                [.text(intent.subscriptionID), .timestamp(intent.periodStart)]
            ).first
        else {
            throw BillingError.invalidStoreData(
                "the charge of \(intent.subscriptionID) for \(intent.periodStart) vanished right after it was written in \(database.displayName)"
            )
        }
        return try Self.decodeCharge(row)
    }

    func recordRenewal(_ record: RenewalRecord, fence: Fence, now: Timestamp) async throws {
        if database.dialect.fencesInWriteStatements, let statement = RenewalStatement(record) {
            // The fence check and the updates in one all-or-nothing statement, a transaction of
            // its own: one round trip instead of five. It writes only when the stored token
            // equals ours; otherwise the transaction below raises the fence or throws.
            let rows = try await database.statement(Self.fenced(statement.text), statement.binds(record, fence: fence, now: now))
            if let row = rows.first, Self.statementDecided(row, fence) {
                if record.charge != nil, row.values["charges"] != .integer(1) { throw Self.chargeClosed(record) }
                if record.subscription != nil, row.values["subscriptions"] != .integer(1) { throw Self.subscriptionChanged(record) }
                let parts = Int64((record.charge == nil ? 0 : 1) + (record.subscription == nil ? 0 : 1))
                guard row.values["updated"] == .integer(parts) else {
                    throw BillingError.invalidStoreData(
                        "recording the renewal of \(record.subscriptionID) for \(record.periodStart) updated \(row.values["updated"].map { "\($0)" } ?? "no") rows of \(parts) in \(database.displayName)"
                    )
                }
                return
            }
        }
        try await database.transaction { connection in
            try await checkFence(fence, connection)
            guard try await Self.write(record, writer: fence.token.rawValue, now: now, connection) else { throw Self.chargeClosed(record) }
        }
    }

    /// Writes step (c)'s `record` in the caller's transaction, each part only as it expects the
    /// row: the charge while it is still open under the record's key, the subscription while it has
    /// the version (period end, failed attempts) the record read. `writer` is the fencing token the
    /// rows are written under; nil for a write that is no leader's (a webhook), which leaves the
    /// charge's token as it is and clears the subscription's. Returns false, having written
    /// nothing, when the charge is no longer open.
    /// - Throws: ``subscriptionChanged(_:)`` when the subscription is not as expected (the caller's
    ///   transaction rolls the charge's write back).
    static func write(_ record: RenewalRecord, writer: Int64?, now: Timestamp, _ connection: any SQLConnection) async throws -> Bool {
        if let charge = record.charge {
            let updated = try await connection.query(
                """
                UPDATE charges SET \(Self.chargeUpdateAssignments(status: "$1", reference: "$2", failure: "$3", token: "COALESCE($4, fencing_token)", now: "$5", review: "$9", nextSend: "$10", keySent: "$11", action: "$12"))
                WHERE subscription_id = $6 AND period_start_ms = $7 AND idempotency_key = $8
                  AND \(Self.chargeOpenForEngine)
                RETURNING subscription_id
                """,
                [
                    .text(charge.status.rawValue), .text(charge.providerReference), .text(charge.failureCode),
                    .integer(writer), .timestamp(now), .text(record.subscriptionID),
                    .timestamp(record.periodStart), .text(charge.idempotencyKey),
                    .text(charge.reviewReason), .timestamp(charge.nextSendAt), .timestamp(charge.keySentAt),
                    .text(charge.customerActionJSON),
                ]
            )
            guard !updated.isEmpty else { return false }
        }
        if let transition = record.subscription {
            let updated = try await connection.query(
                """
                UPDATE subscriptions SET status = $1, period_start_ms = $2, period_end_ms = $3,
                    failed_attempts = $4, next_attempt_ms = $5, next_due_ms = $6, updated_ms = $7, version = version + 1,
                    fencing_token = $12, \(Self.pendingPlanAssignments(applies: "$13", newPeriodStart: "$2"))
                WHERE id = $8 AND period_end_ms = $9 AND failed_attempts = $10 AND version = $11
                RETURNING id
                """,
                [
                    .text(transition.status.rawValue), .timestamp(transition.currentPeriodStart),
                    .timestamp(transition.currentPeriodEnd), .integer(Int64(transition.retry?.failedAttempts ?? 0)),
                    .timestamp(transition.retry?.nextAttemptAt), .timestamp(transition.nextDueAt), .timestamp(now),
                    .text(record.subscriptionID), .timestamp(transition.expectedPeriodEnd),
                    .integer(Int64(transition.expectedFailedAttempts)), .integer(transition.expectedVersion),
                    .integer(writer), .integer(transition.appliesPendingPlan ? 1 : 0),
                ]
            )
            guard !updated.isEmpty else { throw Self.subscriptionChanged(record) }
        }
        return true
    }

    /// `statement`, or, with the ``FencePredicate`` removed, its variant that writes under a stale token too.
    static func fenced<Statement: SQLPreparedText>(_ statement: Statement.Type) -> any SQLPreparedText.Type {
        FencePredicate.isRemoved ? WithoutFencePredicate<Statement>.self : statement
    }

    /// Whether a one-statement step decided the write itself (its answer's `fence_token` is the
    /// writer's, or, with the ``FencePredicate`` removed, at least the writer's); otherwise the
    /// transaction path raises the fence or refuses.
    static func statementDecided(_ row: SQLRow, _ fence: Fence) -> Bool {
        guard case .integer(let stored)? = row.values["fence_token"] else { return false }
        return stored == fence.token.rawValue || (FencePredicate.isRemoved && stored > fence.token.rawValue)
    }

    /// Where the engine may still record an outcome: the charge is open and not parked for an operator.
    static let chargeOpenForEngine = "status IN ('pending', 'unknown') AND review_reason IS NULL"

    /// The `SET` list of a charge outcome, with the placeholders given. An open charge left for a
    /// later round (`nextSend` not NULL) counts one more unanswered round; any answer restarts
    /// the count. `keySent` (when not NULL) restarts the key's replay window; `action` (when not
    /// NULL) records what brings the customer back.
    static func chargeUpdateAssignments(
        status: String, reference: String, failure: String, token: String, now: String, review: String, nextSend: String, keySent: String,
        action: String
    ) -> String {
        """
        status = \(status), provider_reference = COALESCE(\(reference), provider_reference), failure_code = \(failure), \
        customer_action = COALESCE(CAST(\(action) AS TEXT), customer_action), \
        fencing_token = \(token), updated_ms = \(now), review_reason = \(review), next_send_ms = \(nextSend), \
        send_failures = CASE WHEN CAST(\(nextSend) AS BIGINT) IS NULL THEN 0 ELSE send_failures + 1 END, \
        key_sent_ms = COALESCE(CAST(\(keySent) AS BIGINT), key_sent_ms)
        """
    }

    static func chargeClosed(_ record: RenewalRecord) -> BillingError {
        BillingError(
            code: .concurrentModification,
            message:
                "the charge of \(record.subscriptionID) for \(record.periodStart) is no longer open under key \(record.charge?.idempotencyKey ?? "?"); its outcome was not recorded twice"
        )
    }

    static func subscriptionChanged(_ record: RenewalRecord) -> BillingError {
        let transition = record.subscription
        return BillingError(
            code: .concurrentModification,
            message:
                "subscription \(record.subscriptionID) changed during its renewal (it is no longer at version \(transition.map { "\($0.expectedVersion)" } ?? "?") with period end \(transition.map { "\($0.expectedPeriodEnd)" } ?? "?") and \(transition.map { "\($0.expectedFailedAttempts)" } ?? "?") failed attempts: canceled or edited meanwhile); nothing was written, the next run looks at it again"
        )
    }

    // MARK: Decoding

    static func decodeSubscription(_ row: SQLRow) throws(BillingError) -> StoredSubscription {
        StoredSubscription(
            id: try row.text("id"), customer: try row.text("customer"), paymentMethod: try row.text("payment_method"),
            interval: try row.text("plan_interval"), priceMinor: try row.integer("price_minor"),
            currency: try row.text("currency"), status: try row.text("status"),
            billingCycleAnchor: try row.timestamp("anchor_ms"), currentPeriodStart: try row.timestamp("period_start_ms"),
            currentPeriodEnd: try row.timestamp("period_end_ms"), cancelAtPeriodEnd: try row.integer("cancel_at_period_end") != 0,
            failedAttempts: Int(clamping: try row.integer("failed_attempts")), nextAttemptAt: try row.optionalTimestamp("next_attempt_ms"),
            version: try row.integer("version"), pendingInterval: try row.optionalText("pending_plan_interval"),
            pendingPriceMinor: try row.optionalInteger("pending_price_minor"), pendingCurrency: try row.optionalText("pending_currency")
        )
    }

    static func decodeCharge(_ row: SQLRow) throws(BillingError) -> Charge {
        let currency: Currency
        let status: ChargeStatus
        do {
            currency = try Currency(code: try row.text("currency"))
        } catch {
            throw .invalidStoreData("a charge row has an unsupported currency: \(error.message)")
        }
        let statusName = try row.text("status")
        guard let parsed = ChargeStatus(rawValue: statusName) else {
            throw .invalidStoreData("a charge row has the unknown status '\(statusName)'")
        }
        status = parsed
        return Charge(
            subscriptionID: try row.text("subscription_id"), periodStart: try row.timestamp("period_start_ms"),
            periodEnd: try row.timestamp("period_end_ms"), idempotencyKey: try row.text("idempotency_key"),
            amount: Money(minorUnits: try row.integer("amount_minor"), currency: currency),
            customer: try row.text("customer"), paymentMethod: try row.text("payment_method"), status: status,
            providerReference: try row.optionalText("provider_reference"), failureCode: try row.optionalText("failure_code"),
            fencingToken: FencingToken(try row.integer("fencing_token")), attempts: Int(clamping: try row.integer("attempts")),
            createdAt: try row.timestamp("created_ms"), updatedAt: try row.timestamp("updated_ms"),
            keySentAt: try row.optionalTimestamp("key_sent_ms"), nextSendAt: try row.optionalTimestamp("next_send_ms"),
            sendFailures: Int(clamping: try row.integer("send_failures")), reviewReason: try row.optionalText("review_reason"),
            customerAction: try row.optionalText("customer_action").flatMap(CustomerAction.init(json:))
        )
    }
}
