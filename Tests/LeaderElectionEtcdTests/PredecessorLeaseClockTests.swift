import Testing

@testable import LeaderElectionEtcd

@Suite("a waiting candidate's view of its predecessor's lease")
struct PredecessorLeaseClockTests {
    let start = ContinuousClock.now

    @Test("a deletion before the promised expiry is early: wait the predecessor's TTL")
    func earlyDeletion() {
        var clock = PredecessorLeaseClock()
        clock.record(sentAt: start, remaining: 1, granted: 2)
        clock.record(sentAt: start + .milliseconds(500), remaining: 1, granted: 2)
        #expect(clock.promisedExpiry == start + .milliseconds(1500))
        #expect(clock.waitBeforeLeading(deletedAt: start + .milliseconds(900)) == .seconds(2))
    }

    @Test("a deletion at or after the promised expiry is the lease's own expiry: no wait")
    func expiry() {
        var clock = PredecessorLeaseClock()
        clock.record(sentAt: start, remaining: 1, granted: 2)
        // A later read of an older countdown promises less; the latest promise stands.
        clock.record(sentAt: start + .milliseconds(200), remaining: 0, granted: 2)
        #expect(clock.waitBeforeLeading(deletedAt: start + .seconds(1)) == nil)
        #expect(clock.waitBeforeLeading(deletedAt: start + .seconds(3)) == nil)
    }

    @Test("no read, or only reads of a lease already gone: nothing promised, no wait")
    func nothingPromised() {
        var clock = PredecessorLeaseClock()
        #expect(clock.waitBeforeLeading(deletedAt: start) == nil)
        clock.record(sentAt: start, remaining: -1, granted: 0)
        clock.record(sentAt: start, remaining: 1, granted: 0)
        #expect(clock.waitBeforeLeading(deletedAt: start) == nil)
    }
}
