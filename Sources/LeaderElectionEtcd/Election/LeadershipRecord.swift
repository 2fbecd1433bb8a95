import Foundation
import LeaderElection

/// The election's record of its last leader, kept in ``ElectionKeys/recordKey``: how a candidate
/// that finds itself the oldest learns whether the leader before it can still be leading.
///
/// A candidate writes `leading` before it starts to lead, guarded by its own key, and the same
/// candidate's step-down turns it into `steppedDown` in the transaction that deletes its key. So
/// when the oldest candidate reads `leading` for a lease whose key is gone and whose lease has
/// ended, that leader did not step down: either its lease expired, or etcd ended it early (a
/// resumed Raft leader's sweep, see ``PredecessorLeaseClock``) while the leader still renews. A
/// successor that polled the lease's time to live can tell the two apart; any other candidate
/// (one further back whose predecessors all went, or one that campaigned afresh) cannot, and waits
/// the record's TTL, by when such a leader has stopped.
///
/// The record is not attached to a lease, so it outlives every candidacy: one key per election.
enum LeadershipRecord: Equatable, Sendable {
    /// The candidate holding `lease`, granted `ttl`, leads or did until its key went.
    case leading(lease: LeaseID, ttl: Duration)
    /// The candidate holding `lease` stopped leading, then deleted its key.
    case steppedDown(lease: LeaseID)

    /// The stored form: `leading <lease in hex> <ttl in whole seconds>` or `stepped-down <lease in hex>`.
    var encoded: Data {
        switch self {
        case .leading(let lease, let ttl): Data("leading \(lease) \(ttl.components.seconds)".utf8)
        case .steppedDown(let lease): Data("stepped-down \(lease)".utf8)
        }
    }

    /// Reads a stored record; nil for anything else (a record this code did not write).
    init?(parsing data: Data) {
        let fields = String(decoding: data, as: UTF8.self).split(separator: " ")
        func lease(_ field: Substring) -> LeaseID? { UInt64(field, radix: 16).map { LeaseID(Int64(bitPattern: $0)) } }
        switch (fields.first, fields.count) {
        case ("leading", 3):
            guard let lease = lease(fields[1]), let seconds = Int64(fields[2]), seconds > 0 else { return nil }
            self = .leading(lease: lease, ttl: .seconds(seconds))
        case ("stepped-down", 2):
            guard let lease = lease(fields[1]) else { return nil }
            self = .steppedDown(lease: lease)
        default:
            return nil
        }
    }
}
