import Foundation
import LeaderElection
import Testing

@testable import LeaderElectionEtcd

@Suite("the election's record of its last leader")
struct LeadershipRecordTests {
    @Test("both forms read back as written, whatever the lease's sign")
    func roundTrip() {
        for lease in [LeaseID(0x694d_7a1b_2c3d_4e5f), LeaseID(-2)] {
            for record in [LeadershipRecord.leading(lease: lease, ttl: .seconds(5)), .steppedDown(lease: lease)] {
                #expect(LeadershipRecord(parsing: record.encoded) == record)
            }
        }
        #expect(
            String(decoding: LeadershipRecord.leading(lease: LeaseID(0xabc), ttl: .seconds(5)).encoded, as: UTF8.self) == "leading abc 5")
    }

    @Test("anything else is no record", arguments: ["", "leading abc", "leading xyz 5", "leading abc 0", "stepped-down", "led abc 5"])
    func garbage(_ stored: String) {
        #expect(LeadershipRecord(parsing: Data(stored.utf8)) == nil)
    }
}
