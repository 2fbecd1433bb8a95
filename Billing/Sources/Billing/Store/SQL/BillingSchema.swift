/// The billing tables, one schema for SQLite and PostgreSQL, and the steps that create and upgrade it.
///
/// `billing_schema_version` records how many steps a database has had. A later version of this
/// library appends a step; databases written by an earlier one are upgraded when opened, in one
/// transaction, and a process that finds a newer version than it knows refuses the database.
///
/// Instants are `BIGINT` milliseconds since the Unix epoch (UTC) and amounts `BIGINT` minor units:
/// exact in both databases, no floating point, no time zones.
enum BillingSchema {
    /// The version this library writes and reads.
    static let currentVersion: Int64 = 5

    /// Creates the version table when missing; idempotent.
    static let bootstrap: [String] = [
        """
        CREATE TABLE IF NOT EXISTS billing_schema_version (
            singleton BIGINT PRIMARY KEY NOT NULL CHECK (singleton = 1),
            version   BIGINT NOT NULL
        )
        """,
        "INSERT INTO billing_schema_version (singleton, version) VALUES (1, 0) ON CONFLICT (singleton) DO NOTHING",
    ]

    /// `steps(dialect)[n]` upgrades a database from version `n` to `n + 1`.
    static func steps(_ dialect: SQLDialect) -> [[String]] {
        commonSteps + [EventOutboxSchema.statements(dialect)]
    }

    /// The steps both databases run as written (``SQLDialect/schemaStatement(_:)`` adapts types).
    private static let commonSteps: [[String]] = [
        [
            // Subscriptions, as other services and imports write them: deliberately loose (no CHECK
            // on price, currency, interval or status), because the engine must see bad rows to
            // report them. `next_due_ms` is when the engine looks next (NULL: never); the engine
            // and `saveSubscription` keep it in step with status, period end and retry time.
            """
            CREATE TABLE subscriptions (
                id                   TEXT PRIMARY KEY NOT NULL,
                customer             TEXT NOT NULL,
                payment_method       TEXT NOT NULL,
                plan_interval        TEXT NOT NULL,
                price_minor          BIGINT NOT NULL,
                currency             TEXT NOT NULL,
                status               TEXT NOT NULL,
                anchor_ms            BIGINT NOT NULL,
                period_start_ms      BIGINT NOT NULL,
                period_end_ms        BIGINT NOT NULL,
                cancel_at_period_end BIGINT NOT NULL CHECK (cancel_at_period_end IN (0, 1)),
                failed_attempts      BIGINT NOT NULL,
                next_attempt_ms      BIGINT,
                next_due_ms          BIGINT,
                updated_ms           BIGINT NOT NULL
            )
            """,
            "CREATE INDEX subscriptions_by_due ON subscriptions (next_due_ms, id) WHERE next_due_ms IS NOT NULL",
            // The charge ledger: one row per subscription and period, written before the provider
            // is called, with everything a retry under the same key must repeat exactly (amount,
            // currency, customer, payment method). `fencing_token` is the token of the leader
            // that last wrote the row.
            """
            CREATE TABLE charges (
                subscription_id    TEXT NOT NULL REFERENCES subscriptions (id),
                period_start_ms    BIGINT NOT NULL,
                period_end_ms      BIGINT NOT NULL,
                idempotency_key    TEXT NOT NULL UNIQUE,
                amount_minor       BIGINT NOT NULL CHECK (amount_minor > 0),
                currency           TEXT NOT NULL,
                customer           TEXT NOT NULL,
                payment_method     TEXT NOT NULL,
                status             TEXT NOT NULL CHECK (status IN ('pending', 'succeeded', 'failed', 'unknown')),
                provider_reference TEXT,
                failure_code       TEXT,
                fencing_token      BIGINT NOT NULL,
                attempts           BIGINT NOT NULL CHECK (attempts >= 1),
                created_ms         BIGINT NOT NULL,
                updated_ms         BIGINT NOT NULL,
                PRIMARY KEY (subscription_id, period_start_ms)
            )
            """,
            "CREATE INDEX charges_unresolved ON charges (subscription_id, period_start_ms) WHERE status IN ('pending', 'unknown')",
            // The fence: per election, the highest fencing token any engine write carried.
            """
            CREATE TABLE fences (
                election TEXT PRIMARY KEY NOT NULL,
                token    BIGINT NOT NULL
            )
            """,
        ],
        [
            // A row version that every write to a subscription bumps, and every conditional write
            // checks: no write undoes another (a cancellation above all).
            "ALTER TABLE subscriptions ADD COLUMN version BIGINT NOT NULL DEFAULT 0",
            // When the charge's current key was first sent (written with the key, just before the
            // first call: never later than the provider's first sight of it). Rows from version 1
            // take their creation time, which is earlier still: their replay window only shrinks.
            "ALTER TABLE charges ADD COLUMN key_sent_ms BIGINT",
            "UPDATE charges SET key_sent_ms = created_ms",
            // Back-off of an open charge the provider could not be asked about: not before
            // `next_send_ms`, after `send_failures` unanswered rounds in a row.
            "ALTER TABLE charges ADD COLUMN next_send_ms BIGINT",
            "ALTER TABLE charges ADD COLUMN send_failures BIGINT NOT NULL DEFAULT 0",
            // Why an operator must look at the charge (NULL: no need). On an open charge it parks
            // it: nothing more is sent until `billing charges resolve` settles it. On a succeeded
            // charge it asks for a refund review (the subscription was canceled meanwhile).
            "ALTER TABLE charges ADD COLUMN review_reason TEXT",
            "CREATE INDEX charges_in_review ON charges (subscription_id, period_start_ms) WHERE review_reason IS NOT NULL",
            // The operators' settlements of parked charges: who said what, when, under which fence.
            """
            CREATE TABLE charge_resolutions (
                idempotency_key    TEXT NOT NULL,
                resolved_as        TEXT NOT NULL CHECK (resolved_as IN ('succeeded', 'failed')),
                provider_reference TEXT,
                review_reason      TEXT NOT NULL,
                operator           TEXT NOT NULL,
                note               TEXT,
                fence_token        BIGINT,
                resolved_ms        BIGINT NOT NULL,
                PRIMARY KEY (idempotency_key, resolved_ms)
            )
            """,
        ],
        [
            // The token of the leader whose renewal engine last wrote the subscription (NULL:
            // written by anything else, such as the CLI, an import or an operator's settlement).
            // With `charges.fencing_token`, every engine write names the fence it was made under,
            // so that an audit of the database (the fault-injection suite's triggers) can compare
            // the two.
            "ALTER TABLE subscriptions ADD COLUMN fencing_token BIGINT"
        ],
        [
            // A plan change scheduled through the API, applied by the renewal into the next period.
            "ALTER TABLE subscriptions ADD COLUMN pending_plan_interval TEXT",
            "ALTER TABLE subscriptions ADD COLUMN pending_price_minor BIGINT",
            "ALTER TABLE subscriptions ADD COLUMN pending_currency TEXT",
            // The API's creations by Idempotency-Key: a retried request answers what the first did.
            """
            CREATE TABLE api_idempotency_keys (
                idempotency_key TEXT PRIMARY KEY NOT NULL,
                request         TEXT NOT NULL,
                subscription_id TEXT NOT NULL,
                response        TEXT NOT NULL,
                created_ms      BIGINT NOT NULL
            )
            """,
            // Provider webhooks by event id: each applied at most once, a replay told from a retry.
            """
            CREATE TABLE webhook_events (
                provider   TEXT NOT NULL,
                event_id   TEXT NOT NULL,
                event_type TEXT NOT NULL,
                signed_ms  BIGINT NOT NULL,
                outcome    TEXT NOT NULL,
                received_ms BIGINT NOT NULL,
                PRIMARY KEY (provider, event_id)
            )
            """,
        ],
    ]

    /// Creates or upgrades the schema. Runs inside one transaction.
    /// - Throws: ``BillingError/Code/invalidStoreData`` when the database has a newer schema version.
    static func migrate(_ connection: any SQLConnection, dialect: SQLDialect, displayName: String) async throws {
        if let lock = dialect.migrationLock {
            _ = try await connection.query(lock)
        }
        for statement in bootstrap {
            _ = try await connection.query(dialect.schemaStatement(statement))
        }
        guard let row = try await connection.query("SELECT version FROM billing_schema_version WHERE singleton = 1").first else {
            throw BillingError.invalidStoreData(
                "the billing store \(displayName) has an empty billing_schema_version table; restore it from a backup")
        }
        var version = try row.integer("version")
        guard version <= currentVersion else {
            throw BillingError.invalidStoreData(
                "the billing store \(displayName) has schema version \(version), newer than this library's \(currentVersion); upgrade this program"
            )
        }
        let steps = steps(dialect)
        while version < currentVersion {
            for statement in steps[Int(version)] {
                _ = try await connection.query(dialect.schemaStatement(statement))
            }
            version += 1
            _ = try await connection.query("UPDATE billing_schema_version SET version = $1 WHERE singleton = 1", [.integer(version)])
        }
    }
}
