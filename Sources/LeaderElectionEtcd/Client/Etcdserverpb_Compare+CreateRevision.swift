import Foundation

extension Etcdserverpb_Compare {
    /// `create_revision(key) == revision` (0: the key does not exist).
    static func createRevision(of key: Data, equals revision: Int64) -> Self {
        .with {
            $0.key = key
            $0.target = .create
            $0.result = .equal
            $0.createRevision = revision
        }
    }
}
