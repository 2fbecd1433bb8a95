import ArgumentParser
import Billing

/// `billing events list`.
struct ListEventsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list",
        abstract: "List the outbox's events in order, with their delivery state."
    )

    @OptionGroup var options: DatabaseOptions

    @Option(help: "Only this subscription's events.")
    var subscription: String?

    @Option(help: "Only events after this one (an id such as evt_42).")
    var after: String?

    @Flag(help: "Only events not yet delivered.")
    var undelivered = false

    @Option(help: "At most this many.")
    var limit: Int = 100

    func run() async throws {
        guard limit >= 1 else { throw CLIError("--limit must be at least 1") }
        var cursor: Int64?
        if let after {
            guard let sequence = BillingEvent.sequence(ofID: after) else {
                throw CLIError("--after '\(after)' is not an event id; give one like evt_42 (see billing events list)")
            }
            cursor = sequence
        }
        let rows = try await options.withStore { store in
            var rows: [EventRow] = []
            // Pages until `limit` rows match (the undelivered filter is applied here, in order).
            while rows.count < limit {
                let page = try await store.events(after: cursor, subscriptionID: subscription, limit: 500)
                guard let last = page.last else { break }
                cursor = last.sequence
                rows += page.filter { !undelivered || $0.deliveredAt == nil }.prefix(limit - rows.count).map(EventRow.init)
            }
            return rows
        }
        if options.json {
            try JSONOutput.print(rows)
        } else {
            for row in rows { print(row.line) }
            print("\(rows.count) event\(rows.count == 1 ? "" : "s")")
        }
    }
}

/// One event as `billing events list` prints it.
struct EventRow: Encodable {
    let id: String
    let type: String
    let subscriptionID: String
    let createdAt: String
    let deliveredAt: String?
    let attempts: Int
    let lastError: String?
    let payload: String

    init(_ event: BillingEvent) {
        id = event.id
        type = event.type
        subscriptionID = event.subscriptionID
        createdAt = event.createdAt.iso8601
        deliveredAt = event.deliveredAt?.iso8601
        attempts = event.attempts
        lastError = event.lastError
        payload = event.payload
    }

    enum CodingKeys: String, CodingKey {
        case id, type, attempts, payload
        case subscriptionID = "subscription_id"
        case createdAt = "created_at"
        case deliveredAt = "delivered_at"
        case lastError = "last_error"
    }

    var line: String {
        let state =
            deliveredAt.map { "delivered \($0)" }
            ?? (attempts == 0 ? "pending" : "failing (\(attempts) attempts: \(lastError ?? "?"))")
        return "\(id)  \(createdAt)  \(type)  \(subscriptionID)  \(state)"
    }
}
