import LeaderElection
import Testing

@testable import LeaderElectionEtcd

/// A lease renewal counts only when a linearizable read made after it reports the Raft term of the
/// member that answered it: a deposed leader's answer (an older term) does not.
@Suite struct KeepAliveAnswerTests {
    @Test func aRenewalConfirmedInItsOwnTermCounts() throws {
        try KeepAliveAnswer(ttl: 2, raftTerm: 7).confirm(byLinearizableReadInTerm: 7, lease: LeaseID(1))
    }

    @Test(arguments: [UInt64(8), 9, 6])
    func aRenewalFromAnotherTermDoesNotCount(_ readTerm: UInt64) {
        let error = #expect(throws: ElectionError.self) {
            try KeepAliveAnswer(ttl: 2, raftTerm: 7).confirm(byLinearizableReadInTerm: readTerm, lease: LeaseID(1))
        }
        #expect(error?.code == .storeUnavailable)
        #expect(error?.message.contains("term 7") == true && error?.message.contains("term \(readTerm)") == true)
    }
}
