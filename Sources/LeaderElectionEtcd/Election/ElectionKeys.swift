import Foundation
import LeaderElection

/// The keys of one election, laid out as etcd's Go `concurrency` package lays them out.
struct ElectionKeys: Sendable {
    /// The election's name.
    let election: String

    /// `NAME/`: every candidate key starts with it.
    var prefix: Data { Data("\(election)/".utf8) }

    /// The end of the prefix range: the prefix with its last byte incremented (with carry).
    var prefixEnd: Data {
        var bytes = [UInt8](prefix)
        while let last = bytes.last {
            if last < 0xff {
                bytes[bytes.count - 1] = last + 1
                return Data(bytes)
            }
            bytes.removeLast()
        }
        return Data([0])
    }

    /// `NAME/<lease id in lowercase hex>`: the key of the candidate attached to `lease`.
    func candidateKey(_ lease: LeaseID) -> String { "\(election)/\(lease)" }

    /// `NAME<NUL>leader`: the election's ``LeadershipRecord``. Outside the candidates' prefix (NUL
    /// sorts before `/`), so no reader of the election, Go's included, sees it.
    var recordKey: Data { Data("\(election)\u{0}leader".utf8) }

    /// A read of the candidates created before `token`, in create order (`order`), at most `limit`.
    func candidates(olderThan token: FencingToken, _ order: Etcdserverpb_RangeRequest.SortOrder, limit: Int64) -> Etcdserverpb_RangeRequest
    {
        .with {
            $0.key = prefix
            $0.rangeEnd = prefixEnd
            $0.sortTarget = .create
            $0.sortOrder = order
            $0.limit = limit
            $0.maxCreateRevision = token.rawValue - 1
        }
    }

    /// The candidacy a stored key describes.
    func candidate(_ kv: Mvccpb_KeyValue) -> Candidacy {
        Candidacy(
            election: election,
            key: String(decoding: kv.key, as: UTF8.self),
            value: String(decoding: kv.value, as: UTF8.self),
            lease: LeaseID(kv.lease),
            token: FencingToken(kv.createRevision)
        )
    }
}

/// A lease's candidacy: the election it is in, and its key.
struct CandidacyKey: Sendable {
    var election: String
    var key: Data
}
