import BillingNode
import Testing

@testable import ChaosHarness

/// The `overlap` signal against small hand-made histories: node-1 leads under token 1, node-2
/// under token 2 from 100 ms; the store first showed token 2 leading in a read at 101…102 ms.
@Suite struct LeadershipCheckTests {
    static let store = HistoryCheckerTests.storeRecord

    static func leading(_ node: String, _ token: Int64, at time: Int64) -> NodeEvent {
        NodeEvent(timeMs: time, node: node, kind: .leading, token: token)
    }

    static func ended(_ node: String, _ token: Int64, at time: Int64, deadline: Int64) -> NodeEvent {
        NodeEvent(timeMs: time, node: node, kind: .leadershipEnded, token: token, deadlineMs: deadline)
    }

    func check(
        _ events: [NodeEvent], writes: [WriteAudit.Entry] = [], store: LeadershipObserver.Record = Self.store
    )
        -> LeadershipCheck.Findings
    {
        LeadershipCheck(events: events, store: store, writes: writes).check()
    }

    @Test func aTermThatEndsBeforeItsSuccessorBeginsIsClean() {
        let findings = check([
            Self.leading("node-1", 1, at: 0), Self.ended("node-1", 1, at: 98, deadline: 400), Self.leading("node-2", 2, at: 100),
        ])
        #expect(findings.violations == [])
        #expect(!findings.foundOverlap)
    }

    /// A leader whose renewals kept succeeding against a server cut off from its ensemble (the
    /// renew-by-ping shape): its deadline, and so its claim, runs past its successor's start.
    @Test func aLeaderWhoseDeadlineOutlivesItsSuccessorsStartOverlaps() {
        let findings = check([
            Self.leading("node-1", 1, at: 0), Self.leading("node-2", 2, at: 100), Self.ended("node-1", 1, at: 900, deadline: 850),
        ])
        #expect(findings.overlappingClaims == 1)
        #expect(findings.claimsPastStore == 1)
        #expect(findings.foundOverlap)
    }

    @Test func aClaimPastTheStoresSuccessorIsCaughtEvenWithoutTheSuccessorsLog() {
        // node-2's event log says nothing (lost): the store's record alone shows it.
        let findings = check([Self.leading("node-1", 1, at: 0), Self.ended("node-1", 1, at: 300, deadline: 250)])
        #expect(findings.overlappingClaims == 0)
        #expect(findings.claimsPastStore == 1)
    }

    /// etcd revoking a live lease (a Raft leader resuming from a pause): the store showed token 2
    /// at 101…102 ms, while its own accounting had promised token 1's lease until 1,000 ms.
    @Test func aClaimPastALeaseTheStoreEndedEarlyIsCountedApartButStillMayNotOverlap() {
        var store = Self.store
        store.terms[0].promisedUntilMs = 1000
        let apart = check([Self.leading("node-1", 1, at: 0), Self.ended("node-1", 1, at: 300, deadline: 900)], store: store)
        #expect(apart.claimsPastStore == 0)
        #expect(apart.leasesEndedEarlyByStore == 1)
        #expect(apart.violations == [])
        // Promised only until before the successor showed: an ordinary claim past the store.
        store.terms[0].promisedUntilMs = 101
        #expect(
            check([Self.leading("node-1", 1, at: 0), Self.ended("node-1", 1, at: 300, deadline: 900)], store: store).claimsPastStore == 1)
        // Two nodes' claims overlapping stay a violation, whatever the store did.
        store.terms[0].promisedUntilMs = 1000
        let overlapping = check(
            [Self.leading("node-1", 1, at: 0), Self.leading("node-2", 2, at: 100), Self.ended("node-1", 1, at: 300, deadline: 900)],
            store: store)
        #expect(overlapping.overlappingClaims == 1)
        #expect(overlapping.foundOverlap)
    }

    @Test func aKilledLeadersTermEndsAtTheStartOfItsLastEvent() {
        let write = NodeEvent(
            timeMs: 400, node: "node-1", kind: .write, token: 1, startMs: 60, operation: "begin_charge", result: "stale")
        let restarted = NodeEvent(timeMs: 500, node: "node-1", kind: .started)
        let findings = check([Self.leading("node-1", 1, at: 0), write, restarted, Self.leading("node-2", 2, at: 100)])
        #expect(findings.violations == [])
        #expect(findings.claims == 2)
    }

    @Test func aTokenHeldInTheStoreByAnotherNodeIsAMismatch() {
        let findings = check([
            Self.leading("node-1", 1, at: 0), Self.ended("node-1", 1, at: 90, deadline: 95), Self.leading("node-3", 2, at: 100),
        ])
        #expect(findings.holderMismatches == 1)
        #expect(findings.foundOverlap)
    }

    @Test func aWriteByANodeThatDidNotHoldItsTokenIsCaught() {
        let writes = [
            WriteAudit.Entry(sequence: 1, table: "charges", operation: "INSERT", writerToken: 2, fenceToken: 2, writer: "node-2"),
            WriteAudit.Entry(sequence: 2, table: "charges", operation: "UPDATE", writerToken: 2, fenceToken: 2, writer: "node-1"),
        ]
        let findings = check(
            [Self.leading("node-1", 1, at: 0), Self.ended("node-1", 1, at: 90, deadline: 95), Self.leading("node-2", 2, at: 100)],
            writes: writes)
        #expect(findings.writesChecked == 2)
        #expect(findings.writesByNonHolder == 1)
    }

    @Test func aStoreThatWasNeverReadIsAViolation() {
        let findings = check([Self.leading("node-1", 1, at: 0)], store: .init(terms: [], reads: 0, failedReads: 12))
        #expect(findings.violations.contains { $0.contains("never read") })
    }
}
