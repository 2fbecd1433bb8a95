import ArgumentParser

/// Which store the billing nodes elect their leader in: the report's `coordination`.
enum CoordinationKind: String, Codable, Sendable, CaseIterable, ExpressibleByArgument {
    /// Three etcd members (Raft).
    case etcd
    /// A three-server ZooKeeper ensemble.
    case zookeeper
    /// A PostgreSQL server of its own, distinct from the billing database.
    case postgres
    /// An SQLite file on one host, with the billing database an SQLite file too.
    case sqlite
}

/// The coordination store as a run brings it up, breaks and heals it. Server `i` (1-based) runs
/// as the ``NetworkLab``'s member `i`.
protocol CoordinationCluster: Sendable {
    var kind: CoordinationKind { get }
    /// The store's server processes.
    var servers: [SupervisedProcess] { get }
    /// Whether the servers replicate among themselves (so that one can fail, or be cut off from
    /// its peers, while the store serves on).
    var isReplicated: Bool { get }
    /// Starts every server that is down.
    func startAll() async throws
    /// Node `index`'s `--coordination` URL (through its own proxies in proxy mode).
    func coordinationURL(forNode index: Int) -> String
    /// The harness's own URL of the store: every server, reached from the host directly.
    var observerURL: String { get }
    /// The 1-based index of the server that leads the ensemble (the Raft or ZooKeeper leader, or
    /// the only server), if one says so.
    func leaderIndex() async -> Int?
    /// The server that `lease` (a ZooKeeper session id) is connected to, where the store can tell.
    func serverHolding(lease: Int64) async -> Int?
    /// A request that a server's client port answers: the proxy mode's check of a cut.
    var roundTripRequest: [UInt8] { get }
    /// How fault details name server `index`.
    func serverName(_ index: Int) -> String
}

extension CoordinationCluster {
    /// Waits until a server says it leads the ensemble.
    func waitForLeader(timeout: Duration) async -> Int? {
        let clock = ContinuousClock()
        let end = clock.now + timeout
        while clock.now < end {
            if let leader = await leaderIndex() { return leader }
            try? await Task.sleep(for: .milliseconds(200))
        }
        return nil
    }

    func serverHolding(lease: Int64) async -> Int? { nil }
}
