import Billing
import BillingNode
import Foundation
import LeaderElection
import PaymentSandbox
import Testing

@testable import ChaosHarness

/// The checker against small hand-made histories: a clean one passes, and each kind of
/// violation the harness promises to find is found.
@Suite struct HistoryCheckerTests {
    static let dueMs: Int64 = 1_800_000_000_000
    static let renewal = RenewalID(subscriptionID: "sub_1", periodStart: Timestamp(millisecondsSinceEpoch: dueMs).iso8601)

    static func entry(key: String, status: String = "succeeded", createdAtSeconds: Int64 = dueMs / 1000 + 1) -> LedgerEntry {
        LedgerEntry(
            provider: "stripe", idempotencyKey: key, count: 1, amount: 999, currency: "usd", customer: "cus_1",
            paymentMethod: "pm_card_visa",
            status: status, declineCode: nil, reference: "pi_\(key)",
            metadata: ["subscription_id": renewal.subscriptionID, "period_start": renewal.periodStart],
            replays: 0, createdAt: createdAtSeconds, appliedAtMs: createdAtSeconds * 1000
        )
    }

    static func charge(token: Int64, status: ChargeStatus = .succeeded) throws -> Charge {
        Charge(
            subscriptionID: "sub_1", periodStart: Timestamp(millisecondsSinceEpoch: dueMs),
            periodEnd: Timestamp(millisecondsSinceEpoch: dueMs + 86_400_000),
            idempotencyKey: "renewal:sub_1", amount: Money(minorUnits: 999, currency: try Currency(code: "USD")), customer: "cus_1",
            paymentMethod: "pm_card_visa", status: status, providerReference: "pi_1", failureCode: nil, fencingToken: FencingToken(token),
            attempts: 1, createdAt: Timestamp(millisecondsSinceEpoch: dueMs + 10), updatedAt: Timestamp(millisecondsSinceEpoch: dueMs + 20)
        )
    }

    static func leading(_ node: String, token: Int64, at time: Int64) -> NodeEvent {
        NodeEvent(timeMs: time, node: node, kind: .leading, token: token)
    }

    static func write(_ node: String, token: Int64, from start: Int64, to end: Int64, result: String = "accepted") -> NodeEvent {
        NodeEvent(
            timeMs: end, node: node, kind: .write, token: token, startMs: start, operation: "record_renewal", subscription: "sub_1",
            result: result)
    }

    static func call(_ node: String, token: Int64, at time: Int64) -> NodeEvent {
        NodeEvent(
            timeMs: time + 5, node: node, kind: .charge, token: token, startMs: time, subscription: "sub_1", key: "renewal:sub_1",
            result: "succeeded")
    }

    /// A database record in which every write was made under the fence of its moment.
    static let fencedWrites = [
        WriteAudit.Entry(sequence: 1, table: "fences", operation: "INSERT", writerToken: 1),
        WriteAudit.Entry(sequence: 2, table: "charges", operation: "INSERT", subscriptionID: "sub_1", writerToken: 1, fenceToken: 1),
    ]

    /// The coordination store's record of a history in which node-1 led under token 1, then node-2 under 2.
    static let storeRecord = LeadershipObserver.Record(
        terms: [
            .init(token: 1, holder: "node-1", lease: 11, firstReadSentMs: 1, firstReadAnsweredMs: 2, lastReadAnsweredMs: 90),
            .init(token: 2, holder: "node-2", lease: 12, firstReadSentMs: 101, firstReadAnsweredMs: 102, lastReadAnsweredMs: 200),
        ], reads: 40, failedReads: 0)

    static func ended(_ node: String, token: Int64, at time: Int64, deadline: Int64) -> NodeEvent {
        NodeEvent(timeMs: time, node: node, kind: .leadershipEnded, token: token, detail: "deadline passed", deadlineMs: deadline)
    }

    func checker(
        ledger: [LedgerEntry], charges: [Charge], events: [NodeEvent], faults: [FaultRecord] = [],
        writes: [WriteAudit.Entry] = Self.fencedWrites, store: LeadershipObserver.Record = Self.storeRecord
    ) -> HistoryChecker {
        HistoryChecker(
            due: [Self.renewal: Self.dueMs], ledger: ledger, charges: charges, writes: writes, events: events, store: store, faults: faults)
    }

    @Test func cleanHistoryHasNoViolations() throws {
        let report = checker(
            ledger: [Self.entry(key: "renewal:sub_1")], charges: [try Self.charge(token: 2)],
            events: [
                Self.leading("node-1", token: 1, at: 0), Self.leading("node-2", token: 2, at: 100),
                Self.write("node-1", token: 1, from: 10, to: 20),
                Self.write("node-2", token: 2, from: 110, to: 120), Self.write("node-1", token: 1, from: 115, to: 130, result: "stale"),
                // Paused past its deadline (95), node-1 logs the end late (140): its term ended at 95.
                Self.ended("node-1", token: 1, at: 140, deadline: 95),
            ]
        ).check()
        #expect(report.violations == [])
        #expect(!report.signals.contains(.overlap))
        #expect(report.fencedRejections == 1)
        #expect(report.terms == 2)
    }

    @Test func doubleChargeIsAViolation() throws {
        let report = checker(
            ledger: [Self.entry(key: "renewal:sub_1"), Self.entry(key: "renewal:sub_1-attempt-7")], charges: [try Self.charge(token: 1)],
            events: [Self.leading("node-1", token: 1, at: 0)]
        ).check()
        #expect(report.audit.doubleCharges == 1)
        #expect(!report.isClean)
    }

    @Test func missedRenewalIsAViolation() throws {
        let report = checker(ledger: [], charges: [], events: []).check()
        #expect(report.audit.missed == 1)
        #expect(!report.isClean)
    }

    @Test func writeAcceptedAfterAHigherTokensWriteIsStale() throws {
        let report = checker(
            ledger: [Self.entry(key: "renewal:sub_1")], charges: [try Self.charge(token: 2)],
            events: [
                Self.leading("node-1", token: 1, at: 0), Self.leading("node-2", token: 2, at: 100),
                Self.write("node-2", token: 2, from: 110, to: 120), Self.write("node-1", token: 1, from: 121, to: 130),
            ]
        ).check()
        #expect(report.staleWritesInNodeLogs == 1)
        #expect(!report.isClean)
    }

    @Test func overlappingWritesOfTwoTokensAreNotStale() throws {
        // The older write began before the newer one was known to be accepted: the fence may
        // have ordered it first, so it is not evidence of a stale write.
        let report = checker(
            ledger: [Self.entry(key: "renewal:sub_1")], charges: [try Self.charge(token: 2)],
            events: [
                Self.leading("node-1", token: 1, at: 0), Self.leading("node-2", token: 2, at: 100),
                Self.write("node-2", token: 2, from: 110, to: 120), Self.write("node-1", token: 1, from: 115, to: 125),
            ]
        ).check()
        #expect(report.staleWritesInNodeLogs == 0)
    }

    @Test func tokenHeldByTwoNodesIsAViolation() throws {
        let report = checker(
            ledger: [Self.entry(key: "renewal:sub_1")], charges: [try Self.charge(token: 1)],
            events: [Self.leading("node-1", token: 1, at: 0), Self.leading("node-2", token: 1, at: 50)]
        ).check()
        #expect(report.tokensHeldByMoreThanOneNode == 1)
    }

    @Test func chargeRowUnderATokenNobodyHeldIsAViolation() throws {
        let report = checker(
            ledger: [Self.entry(key: "renewal:sub_1")], charges: [try Self.charge(token: .max)],
            events: [Self.leading("node-1", token: 1, at: 0)]
        ).check()
        #expect(report.chargeRowsWithUnheldToken == 1)
    }

    @Test func chargeBeforeItFellDueIsAViolation() throws {
        let report = checker(
            ledger: [Self.entry(key: "renewal:sub_1", createdAtSeconds: Self.dueMs / 1000 - 3600)], charges: [try Self.charge(token: 1)],
            events: [Self.leading("node-1", token: 1, at: 0)]
        ).check()
        #expect(report.earlyCharges == 1)
    }

    @Test func unresolvedChargeIsAViolation() throws {
        let report = checker(
            ledger: [Self.entry(key: "renewal:sub_1")], charges: [try Self.charge(token: 1, status: .unknown)],
            events: [Self.leading("node-1", token: 1, at: 0)]
        ).check()
        #expect(report.audit.unresolvedInDatabase == 1)
        #expect(!report.isClean)
    }

    @Test func unavailabilityRunsToTheFirstCallOfANewerLeader() {
        let fault = FaultRecord(
            kind: .leaderKill, target: "node-1", startMs: 1000, confirmedMs: 1001, endMs: 4000, leaderTokenBefore: 1, detail: "")
        let unconfirmed = FaultRecord(
            kind: .leaderPause, target: "node-2", startMs: 1000, confirmedMs: nil, endMs: 4000, leaderTokenBefore: 1, detail: "")
        let report = checker(
            ledger: [], charges: [],
            events: [
                Self.call("node-1", token: 1, at: 1500), Self.call("node-2", token: 2, at: 3200), Self.call("node-2", token: 2, at: 3300),
            ],
            faults: [fault, unconfirmed]
        ).check()
        #expect(report.unavailability["leader-kill"]?.samples == [2200])
        #expect(report.unavailability["leader-pause"] == nil)
    }

    @Test func unavailabilityEndsOnlyAtASuccessfulCharge() {
        let fault = FaultRecord(
            kind: .leaderKill, target: "node-1", startMs: 1000, confirmedMs: 1001, endMs: 4000, leaderTokenBefore: 1, detail: "")
        var declined = Self.call("node-2", token: 2, at: 2000)
        declined.result = "declined"
        let report = checker(ledger: [], charges: [], events: [declined, Self.call("node-2", token: 2, at: 2500)], faults: [fault]).check()
        #expect(report.unavailability["leader-kill"]?.samples == [1500])
        // No successful charge after a fault: censored, counted, never dropped.
        let censored = checker(ledger: [], charges: [], events: [declined], faults: [fault]).check()
        #expect(censored.unavailability["leader-kill"]?.samples == [])
        #expect(censored.unavailability["leader-kill"]?.withoutLaterCharge == 1)
    }

    @Test func latenessIsTheProvidersTimeOfTheFirstChargeMinusTheDueTime() {
        var late = Self.entry(key: "renewal:sub_1")
        late.appliedAtMs = Self.dueMs + 1_250
        var replayedLater = Self.entry(key: "renewal:sub_1-again")
        replayedLater.appliedAtMs = Self.dueMs + 9_000
        let report = checker(ledger: [late, replayedLater], charges: [], events: []).check()
        #expect(report.lateness.samples == [1_250])
        #expect(report.lateness.max == 1_250)
        #expect(report.lateness.p99 == nil, "a p99 from fewer than 100 samples is shown as the maximum")
        var many = CheckReport.Unavailability()
        many.samples = Array(1...200)
        #expect(many.p99 == 198)
    }

    @Test func aMissingOrUnreadableEventLogIsAViolation() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("checker-\(UInt64.random(in: 0...UInt64.max))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let garbled = directory.appendingPathComponent("node-1.events.jsonl")
        try Data("not an event\n".utf8).write(to: garbled)
        let read = HistoryChecker.readEvents(paths: [garbled.path, directory.appendingPathComponent("node-2.events.jsonl").path])
        #expect(read.unreadable == 1)
        #expect(read.problems.count == 2)
        var checker = checker(ledger: [Self.entry(key: "renewal:sub_1")], charges: [try Self.charge(token: 1)], events: [])
        checker.eventLogProblems = read.problems
        #expect(checker.check().violations.filter { $0.contains("event log") }.count == 2)
    }
}
