/// The SQLite election backend's store: a file that every node opens on one host (with the
/// billing database an SQLite file beside it). No server runs, so no server can fail; the nodes
/// still can.
struct SQLiteCoordination: CoordinationCluster {
    let path: String
    var kind: CoordinationKind { .sqlite }
    var servers: [SupervisedProcess] { [] }
    var isReplicated: Bool { false }
    var roundTripRequest: [UInt8] { [] }

    func startAll() async throws {}
    func coordinationURL(forNode index: Int) -> String { "sqlite:\(path)" }
    var observerURL: String { "sqlite:\(path)" }
    /// The file is always there.
    func leaderIndex() async -> Int? { 1 }
    func serverName(_ index: Int) -> String { "the SQLite file" }
}
