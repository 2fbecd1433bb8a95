/// The billing database's own record of its writes: triggers that the harness installs on
/// `charges`, `subscriptions` and `fences` add one row per committed write, in the writing
/// transaction itself, so that a write is recorded exactly when it commits, whatever its writer
/// knew or logged about it (an abandoned call that landed later included).
///
/// Each row names the writer's token (the row's `fencing_token`; for a fence, the new token) and
/// the fence at that moment (read by the trigger in the same transaction; for a fence, the token
/// it replaced), in the order of a sequence drawn inside the transaction. The fence row's lock,
/// which every fenced write holds until it commits and every raise needs alone, makes that order
/// agree with the commit order wherever the fence is concerned. Each row also names its writer,
/// the session's `application_name` (the node id), so that the checker can hold every write
/// against the coordination store's record of who held its token.
struct WriteAudit {
    /// One committed write.
    struct Entry: Sendable {
        var sequence: Int64
        var table: String
        /// `INSERT` or `UPDATE`.
        var operation: String
        var subscriptionID: String? = nil
        var periodStartMs: Int64? = nil
        /// The token the write was made under; nil for writes that are not the engine's (seeding).
        var writerToken: Int64? = nil
        /// The fence when the write committed; for a raise of the fence, the token it replaced.
        var fenceToken: Int64? = nil
        /// The writing session's `application_name`: the node id (``BillingNode`` sets it), or
        /// nil for the harness's own sessions.
        var writer: String? = nil
    }

    /// The SQL the audit is installed in.
    enum Dialect: Sendable {
        case postgres
        case sqlite
    }

    /// Creates the audit table and its triggers in `dialect`; run once the billing schema exists.
    static func installation(_ dialect: Dialect) -> String {
        switch dialect {
        case .postgres: postgresInstallation
        case .sqlite: sqliteInstallation
        }
    }

    /// SQLite has no session name: its rows name no writer. Its writers take turns (one write
    /// transaction at a time), so the sequence is the commit order.
    private static let sqliteInstallation =
        ([
            """
            CREATE TABLE chaos_write_audit (
                sequence        INTEGER PRIMARY KEY AUTOINCREMENT,
                table_name      TEXT NOT NULL,
                operation       TEXT NOT NULL,
                subscription_id TEXT,
                period_start_ms INTEGER,
                writer_token    INTEGER,
                fence_token     INTEGER,
                writer          TEXT
            )
            """
        ]
        + ["INSERT", "UPDATE"].flatMap { operation in
            [
                """
                CREATE TRIGGER chaos_audit_fences_\(operation.lowercased()) AFTER \(operation) ON fences BEGIN
                    INSERT INTO chaos_write_audit (table_name, operation, writer_token, fence_token)
                    VALUES ('fences', '\(operation)', NEW.token, \(operation == "UPDATE" ? "OLD.token" : "NULL"));
                END
                """,
                """
                CREATE TRIGGER chaos_audit_charges_\(operation.lowercased()) AFTER \(operation) ON charges BEGIN
                    INSERT INTO chaos_write_audit (table_name, operation, subscription_id, period_start_ms, writer_token, fence_token)
                    VALUES ('charges', '\(operation)', NEW.subscription_id, NEW.period_start_ms, NEW.fencing_token, (SELECT max(token) FROM fences));
                END
                """,
                """
                CREATE TRIGGER chaos_audit_subscriptions_\(operation.lowercased()) AFTER \(operation) ON subscriptions BEGIN
                    INSERT INTO chaos_write_audit (table_name, operation, subscription_id, writer_token, fence_token)
                    VALUES ('subscriptions', '\(operation)', NEW.id, NEW.fencing_token, (SELECT max(token) FROM fences));
                END
                """,
            ]
        }).joined(separator: ";\n")

    private static let postgresInstallation = """
        CREATE TABLE chaos_write_audit (
            sequence        BIGSERIAL PRIMARY KEY,
            table_name      TEXT NOT NULL,
            operation       TEXT NOT NULL,
            subscription_id TEXT,
            period_start_ms BIGINT,
            writer_token    BIGINT,
            fence_token     BIGINT,
            writer          TEXT DEFAULT nullif(current_setting('application_name'), '')
        );
        CREATE FUNCTION chaos_audit_write() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_TABLE_NAME = 'fences' THEN
                INSERT INTO chaos_write_audit (table_name, operation, writer_token, fence_token)
                VALUES ('fences', TG_OP, NEW.token, CASE WHEN TG_OP = 'UPDATE' THEN OLD.token END);
            ELSIF TG_TABLE_NAME = 'charges' THEN
                INSERT INTO chaos_write_audit (table_name, operation, subscription_id, period_start_ms, writer_token, fence_token)
                VALUES ('charges', TG_OP, NEW.subscription_id, NEW.period_start_ms, NEW.fencing_token, (SELECT max(token) FROM fences));
            ELSE
                INSERT INTO chaos_write_audit (table_name, operation, subscription_id, writer_token, fence_token)
                VALUES ('subscriptions', TG_OP, NEW.id, NEW.fencing_token, (SELECT max(token) FROM fences));
            END IF;
            RETURN NULL;
        END
        $$;
        CREATE TRIGGER chaos_audit_charges AFTER INSERT OR UPDATE ON charges FOR EACH ROW EXECUTE FUNCTION chaos_audit_write();
        CREATE TRIGGER chaos_audit_subscriptions AFTER INSERT OR UPDATE ON subscriptions FOR EACH ROW EXECUTE FUNCTION chaos_audit_write();
        CREATE TRIGGER chaos_audit_fences AFTER INSERT OR UPDATE ON fences FOR EACH ROW EXECUTE FUNCTION chaos_audit_write();
        """

    /// The query whose tab-separated rows ``parse(_:)`` reads.
    static let query = """
        SELECT sequence, table_name, operation, subscription_id, period_start_ms, writer_token, fence_token, writer
        FROM chaos_write_audit ORDER BY sequence
        """

    /// Reads `psql -At -F '\t'` output of ``query`` (an empty field is NULL).
    static func parse(_ output: String) throws -> [Entry] {
        try output.split(separator: "\n").map { line in
            let fields = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            guard fields.count == 8, let sequence = Int64(fields[0]) else {
                throw HarnessError("the billing database's write audit has a malformed row: '\(line)'")
            }
            func optional(_ text: String) -> String? { text.isEmpty ? nil : text }
            return Entry(
                sequence: sequence, table: fields[1], operation: fields[2], subscriptionID: optional(fields[3]),
                periodStartMs: optional(fields[4]).flatMap { Int64($0) }, writerToken: optional(fields[5]).flatMap { Int64($0) },
                fenceToken: optional(fields[6]).flatMap { Int64($0) }, writer: optional(fields[7]))
        }
    }

    /// What the record shows about fencing.
    struct Findings: Codable, Sendable {
        /// Engine writes checked (those that carry a token).
        var writesChecked = 0
        /// Raises of the fence.
        var fenceRaises = 0
        /// Engine writes committed under a token lower than the fence: stale writes accepted.
        var staleWrites = 0
        /// Engine writes committed under a token higher than the fence (the fence was not raised first).
        var writesAboveFence = 0
        /// Changes of the fence to a lower or equal token, and writes that saw a lower fence than an earlier write.
        var fenceDecreases = 0
        /// Updates without a token: not the engine's, and in a run nothing else updates.
        var updatesWithoutToken = 0
        var violations: [String] = []
    }

    static func check(_ entries: [Entry]) -> Findings {
        var findings = Findings()
        func violation(_ text: String) { if findings.violations.count < 20 { findings.violations.append(text) } }
        var highestSeen: Int64?
        for entry in entries {
            if entry.table == "fences" {
                findings.fenceRaises += 1
                if let before = entry.fenceToken, let after = entry.writerToken, after <= before {
                    findings.fenceDecreases += 1
                    violation("the fence went from \(before) to \(after) (audit #\(entry.sequence))")
                }
                continue
            }
            let what = "\(entry.table) of \(entry.subscriptionID ?? "?")\(entry.periodStartMs.map { " for \($0)" } ?? "")"
            guard let writer = entry.writerToken else {
                // Seeding inserts subscriptions without a token; an update without one would be a
                // write path that does not name its fence, which the audit could not check.
                if entry.operation != "INSERT" {
                    findings.updatesWithoutToken += 1
                    violation("\(what) was updated without a token, so the audit cannot check its fence (audit #\(entry.sequence))")
                }
                continue
            }
            findings.writesChecked += 1
            guard let fence = entry.fenceToken else {
                findings.writesAboveFence += 1
                violation("\(what) was written under token \(writer) before any fence existed (audit #\(entry.sequence))")
                continue
            }
            if writer < fence {
                findings.staleWrites += 1
                violation(
                    "stale write accepted by the database: \(what) under token \(writer) while the fence was \(fence) (audit #\(entry.sequence))"
                )
            } else if writer > fence {
                findings.writesAboveFence += 1
                violation("\(what) was written under token \(writer), above the fence \(fence) (audit #\(entry.sequence))")
            }
            if let highest = highestSeen, fence < highest {
                findings.fenceDecreases += 1
                violation("\(what) saw the fence at \(fence) after an earlier write saw \(highest) (audit #\(entry.sequence))")
            }
            highestSeen = max(highestSeen ?? fence, fence)
        }
        if findings.writesChecked == 0 {
            violation("the database's write audit recorded no engine write: the instrument saw nothing")
        }
        return findings
    }
}
