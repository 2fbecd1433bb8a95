/// Schema step 5: the event outbox (`billing_events`) and the triggers that fill it.
///
/// The database itself writes an event in the transaction of every state change it stands for,
/// whichever writer made the change (the renewal engine's one-statement, two-statement and batch
/// paths, a webhook, the API, an operator): a trigger on `charges` and one on `subscriptions`
/// compare the row before and after. So no path can change a state without its event, and no
/// event exists for a change that rolled back.
///
/// | event type | when |
/// |---|---|
/// | `charge.succeeded` | a charge becomes `succeeded` |
/// | `charge.failed` | a charge becomes `failed` (a decline) |
/// | `charge.needs_review` | a charge gets a review reason (parked for an operator, refund review) |
/// | `subscription.renewed` | a live subscription moves into its next period as `active` |
/// | `subscription.past_due` | a subscription becomes `past_due`, or fails one more dunning attempt |
/// | `subscription.action_required` | a subscription becomes `action_required`; carries the charge's provider reference and customer action |
/// | `subscription.canceled` | a subscription becomes `canceled` |
///
/// An event's id is `evt_` and its sequence number; events of one subscription are delivered in
/// sequence order (`SQLLedger.deliverableEvents(at:limit:)`).
enum EventOutboxSchema {
    /// The statements of the step, for `dialect`.
    static func statements(_ dialect: SQLDialect) -> [String] {
        let sequence =
            switch dialect {
            case .sqlite: "seq INTEGER PRIMARY KEY AUTOINCREMENT"
            case .postgres: "seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY"
            }
        var statements = [
            // What brings a customer back to authenticate an open charge (JSON: url, client_secret).
            "ALTER TABLE charges ADD COLUMN customer_action TEXT",
            """
            CREATE TABLE billing_events (
                \(sequence),
                type            TEXT NOT NULL,
                subscription_id TEXT NOT NULL,
                payload         TEXT NOT NULL,
                created_ms      BIGINT NOT NULL,
                delivered_ms    BIGINT,
                attempts        BIGINT NOT NULL DEFAULT 0,
                next_attempt_ms BIGINT NOT NULL,
                last_error      TEXT
            )
            """,
            // The relay reads undelivered events in sequence order; whether an earlier one of the
            // same subscription is still undelivered, and an operator's listing of one
            // subscription, use the second index (a subscription has few events). Every index
            // costs each renewal's two event rows: three, not four (measured, see docs/benchmarks.md).
            "CREATE INDEX billing_events_undelivered ON billing_events (seq) WHERE delivered_ms IS NULL",
            "CREATE INDEX billing_events_by_subscription ON billing_events (subscription_id, seq)",
        ]
        statements += trigger(
            dialect, name: "billing_charge_events", table: "charges", subscriptionID: "NEW.subscription_id",
            events: [
                ("charge.succeeded", "NEW.status = 'succeeded' AND OLD.status <> 'succeeded'"),
                ("charge.failed", "NEW.status = 'failed' AND OLD.status <> 'failed'"),
                ("charge.needs_review", "NEW.review_reason IS NOT NULL AND OLD.review_reason IS NULL"),
            ],
            payload: object(
                dialect,
                [
                    ("subscription_id", "NEW.subscription_id"), ("idempotency_key", "NEW.idempotency_key"),
                    ("period_start_ms", "NEW.period_start_ms"), ("period_end_ms", "NEW.period_end_ms"),
                    ("amount_minor", "NEW.amount_minor"), ("currency", "NEW.currency"), ("status", "NEW.status"),
                    ("attempts", "NEW.attempts"), ("provider_reference", "NEW.provider_reference"),
                    ("failure_code", "NEW.failure_code"), ("review_reason", "NEW.review_reason"),
                ])
        )
        // The open charge that waits for the customer: the latest one marked so. In PostgreSQL the
        // engine writes charge and subscription in one statement; an AFTER trigger runs once the
        // statement is done and sees both rows as written.
        let waiting = """
            FROM charges c WHERE c.subscription_id = NEW.id AND c.failure_code = '\(Charge.actionRequiredCode)'
              AND c.status IN ('pending', 'unknown') ORDER BY c.period_start_ms DESC LIMIT 1
            """
        // SQLite embeds a value as JSON only straight from json(); PostgreSQL casts it.
        let action =
            dialect == .postgres ? "(SELECT c.customer_action::json \(waiting))" : "json((SELECT c.customer_action \(waiting)))"
        statements += trigger(
            dialect, name: "billing_subscription_events", table: "subscriptions", subscriptionID: "NEW.id",
            events: [
                (
                    "subscription.renewed",
                    "NEW.status = 'active' AND NEW.period_end_ms > OLD.period_end_ms AND OLD.status IN ('active', 'past_due', 'action_required')"
                ),
                (
                    "subscription.past_due",
                    "NEW.status = 'past_due' AND (OLD.status <> 'past_due' OR NEW.failed_attempts <> OLD.failed_attempts)"
                ),
                ("subscription.action_required", "NEW.status = 'action_required' AND OLD.status <> 'action_required'"),
                ("subscription.canceled", "NEW.status = 'canceled' AND OLD.status <> 'canceled'"),
            ],
            payload: object(
                dialect,
                [
                    ("subscription_id", "NEW.id"), ("customer", "NEW.customer"), ("status", "NEW.status"),
                    ("plan_interval", "NEW.plan_interval"), ("price_minor", "NEW.price_minor"), ("currency", "NEW.currency"),
                    ("current_period_start_ms", "NEW.period_start_ms"), ("current_period_end_ms", "NEW.period_end_ms"),
                    ("cancel_at_period_end", "NEW.cancel_at_period_end"), ("failed_attempts", "NEW.failed_attempts"),
                    ("next_attempt_ms", "NEW.next_attempt_ms"), ("version", "NEW.version"),
                    ("provider_reference", "(SELECT c.provider_reference \(waiting))"),
                    ("customer_action", action),
                ])
        )
        return statements
    }

    /// A JSON object of `fields` (name, SQL expression) as text, in `dialect`.
    private static func object(_ dialect: SQLDialect, _ fields: [(String, String)]) -> String {
        let pairs = fields.map { "'\($0.0)', \($0.1)" }.joined(separator: ", ")
        return switch dialect {
        case .sqlite: "json_object(\(pairs))"
        case .postgres: "json_build_object(\(pairs))::text"
        }
    }

    /// An AFTER UPDATE trigger on `table` that inserts one event per `events` entry whose condition holds.
    private static func trigger(
        _ dialect: SQLDialect, name: String, table: String, subscriptionID: String, events: [(type: String, condition: String)],
        payload: String
    ) -> [String] {
        let choices = events.map { "SELECT '\($0.type)' AS type WHERE \($0.condition)" }.joined(separator: " UNION ALL ")
        // Stamped with the database's clock when the row is written (the row's own `updated_ms`
        // may be the writer's earlier reading, such as the start of a renewal pass).
        let now =
            switch dialect {
            case .sqlite: "CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)"
            case .postgres: "CAST(FLOOR(EXTRACT(EPOCH FROM clock_timestamp()) * 1000) AS BIGINT)"
            }
        let insert = """
            INSERT INTO billing_events (type, subscription_id, payload, created_ms, next_attempt_ms)
            SELECT chosen.type, \(subscriptionID), \(payload), \(now), \(now) FROM (\(choices)) AS chosen
            """
        switch dialect {
        case .sqlite:
            return ["CREATE TRIGGER \(name) AFTER UPDATE ON \(table) FOR EACH ROW BEGIN \(insert); END"]
        case .postgres:
            return [
                "CREATE FUNCTION \(name)() RETURNS trigger LANGUAGE plpgsql AS $body$ BEGIN \(insert); RETURN NULL; END $body$",
                "CREATE TRIGGER \(name) AFTER UPDATE ON \(table) FOR EACH ROW EXECUTE FUNCTION \(name)()",
            ]
        }
    }
}
