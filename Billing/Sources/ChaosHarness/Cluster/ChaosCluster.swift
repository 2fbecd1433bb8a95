import BillingNode
import Foundation
import PaymentSandbox

/// Everything a run brings up: the network lab, the billing database (PostgreSQL, or SQLite), the
/// coordination store and the harness's observer of it, the payment sandbox (in this process: it
/// is the outside world, never killed) and the billing nodes.
struct ChaosCluster: Sendable {
    let lab: NetworkLab
    /// The billing database: a PostgreSQL server, or (the SQLite tier) a file on this host.
    let database: any BillingDatabase
    /// The billing database's wall clock, which `database-clock-step` steps (nil without libfaketime).
    let databaseClock: FakeClock?
    /// The billing database's data directory, which `database-disk-full` fills (nil without root).
    let databaseVolume: SmallVolume?
    let coordination: any CoordinationCluster
    let observer: LeadershipObserver
    let sandbox: PaymentSandboxServer
    /// The port the sandbox listens on.
    let sandboxPort: Int
    /// How long the provider faults cut a node off: its transient retries ((1 + retries) × the
    /// nodes' provider timeout, plus back-offs) and 5 s more.
    let providerOutage: Duration
    let nodes: [ChaosNode]
    let probe: HTTPProbe
    let leaseTTL: Duration

    /// The leader as the nodes report it: the highest token among nodes that say they lead.
    func currentLeader() async -> (node: ChaosNode, token: Int64)? {
        let statuses = await withTaskGroup(of: (ChaosNode, NodeStatus?).self) { group in
            for node in nodes where node.process.current != .down {
                group.addTask { (node, await node.status(probe: probe)) }
            }
            var all: [(ChaosNode, NodeStatus?)] = []
            for await pair in group { all.append(pair) }
            return all
        }
        return statuses.compactMap { node, status -> (node: ChaosNode, token: Int64)? in
            guard let status, status.role == "leader", let token = status.token else { return nil }
            return (node, token)
        }.max { $0.token < $1.token }
    }

    /// Waits for a leader whose token is above `token` (any leader when nil).
    func waitForLeader(above token: Int64?, timeout: Duration) async -> (node: ChaosNode, token: Int64)? {
        let clock = ContinuousClock()
        let end = clock.now + timeout
        while clock.now < end {
            if let leader = await currentLeader(), leader.token > (token ?? .min) { return leader }
            try? await Task.sleep(for: .milliseconds(100))
        }
        return nil
    }

    /// Waits until the billing database's fence is above `token` (a successor claimed it) and
    /// returns it; nil after `timeout`.
    func waitForFence(above token: Int64, timeout: Duration) async -> Int64? {
        let clock = ContinuousClock()
        let end = clock.now + timeout
        while clock.now < end {
            let answer = try? database.query("SELECT coalesce(max(token), 0) FROM fences")
            if let fence = answer.flatMap({ Int64($0.trimmingCharacters(in: .whitespacesAndNewlines)) }), fence > token { return fence }
            try? await Task.sleep(for: .milliseconds(20))
        }
        return nil
    }

    /// Restarts whatever a fault left down or stopped, and removes every partition and sandbox fault.
    func healEverything() async throws {
        if let server = database.server {
            if server.process.current == .down { try await server.start() }
            server.process.resume()
        }
        for (offset, server) in coordination.servers.enumerated() {
            if lab.canIsolateMembers { try lab.healMember(offset + 1) }
            server.resume()
        }
        try await coordination.startAll()
        for node in nodes {
            if lab.canPartitionNodes { try lab.healNode(node.index) }
            node.process.resume()
            if node.process.current == .down { try node.start() }
        }
        try sandbox.setFaultRates(.none)
        databaseVolume?.drain()
        try databaseClock?.set(offsetSeconds: 0)
        for node in nodes { try node.clock?.set(offsetSeconds: 0) }
    }

    /// Stops every process: nodes first (SIGTERM), then the coordination store and PostgreSQL.
    func stopAll() async {
        await withTaskGroup(of: Void.self) { group in
            for node in nodes { group.addTask { await node.process.terminate(grace: .seconds(15)) } }
        }
        for server in coordination.servers { await server.terminate(grace: .seconds(5)) }
        await database.server?.process.terminate(grace: .seconds(10))
    }
}
