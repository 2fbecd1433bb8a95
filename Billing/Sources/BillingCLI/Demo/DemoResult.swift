import BillingNode

/// The demo's final audit, as `--json` prints it.
struct DemoResult: Codable {
    var due: Int
    var chargedOnce: Int
    var succeeded: Int
    var declined: Int
    var doubleCharges: Int
    var missed: Int
    var unexpected: Int
    var unresolvedInDatabase: Int
    var databaseMismatches: Int
    /// Each failover's duration, from the fault to the new leader's first status, in seconds.
    var failoverSeconds: [Double]
    var leaseTTLSeconds: Double
    /// Charges the sandbox applied per second of the demo, on average.
    var renewalsPerSecond: Double
    /// Exit statuses of every node process (SIGKILLed ones show 137).
    var nodeExitStatuses: [String: [Int32]]
    /// Whether every node exited 0 on SIGTERM at the end.
    var nodesStoppedCleanly: Bool
    var problems: [String]
    /// Events the database wrote to the outbox, and how many of them the demo's receiver got.
    var eventsWritten: Int
    var eventsDelivered: Int
    /// Deliveries of an event the receiver had already had (at least once: a leader change, a retry).
    var eventRepeats: Int
    var clean: Bool
    var directory: String

    init(
        audit: ChargeAudit, failoverSeconds: [Double], leaseTTLSeconds: Double, renewalsPerSecond: Double,
        nodeExitStatuses: [String: [Int32]], nodesStoppedCleanly: Bool, events: (written: Int, delivered: Int, repeats: Int),
        directory: String
    ) {
        due = audit.due
        chargedOnce = audit.chargedOnce
        succeeded = audit.succeeded
        declined = audit.declined
        doubleCharges = audit.doubleCharges
        missed = audit.missed
        unexpected = audit.unexpected
        unresolvedInDatabase = audit.unresolvedInDatabase
        databaseMismatches = audit.databaseMismatches
        self.failoverSeconds = failoverSeconds
        self.leaseTTLSeconds = leaseTTLSeconds
        self.renewalsPerSecond = renewalsPerSecond
        self.nodeExitStatuses = nodeExitStatuses
        self.nodesStoppedCleanly = nodesStoppedCleanly
        problems = audit.problems
        (eventsWritten, eventsDelivered, eventRepeats) = events
        if events.delivered != events.written {
            problems.append("\(events.written - events.delivered) of \(events.written) events were not delivered to the receiver")
        }
        clean = audit.isClean && events.delivered == events.written
        self.directory = directory
    }
}
