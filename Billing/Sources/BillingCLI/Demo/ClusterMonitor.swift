import AsyncHTTPClient
import BillingNode
import Foundation
import Synchronization

/// Polls every node's `/status` ten times a second and keeps the cluster's picture: the
/// statuses, the current leader, and the failovers the chaos started and how long each took.
final class ClusterMonitor: Sendable {
    /// A leader, as the monitor saw it.
    struct Leader: Sendable, Equatable {
        var nodeID: String
        var token: Int64
        var leaseRemainingMs: Int64?
    }

    private struct State {
        var statuses: [String: NodeStatus] = [:]
        var leader: Leader?
        var pendingFailover: (startedAt: ContinuousClock.Instant, fromToken: Int64)?
        var failovers: [Double] = []
        var events: [String] = []
    }

    let nodes: [DemoNode]
    private let clock = ContinuousClock()
    private let started: ContinuousClock.Instant
    private let state = Mutex(State())
    private let say: @Sendable (String) -> Void

    init(nodes: [DemoNode], say: @escaping @Sendable (String) -> Void) {
        self.nodes = nodes
        self.say = say
        self.started = ContinuousClock().now
    }

    /// Seconds since the demo started, for event lines.
    var elapsed: Double { Self.seconds(clock.now - started) }

    static func seconds(_ duration: Duration) -> Double {
        let (seconds, attoseconds) = duration.components
        return Double(seconds) + Double(attoseconds) / 1e18
    }

    var leader: Leader? { state.withLock { $0.leader } }
    var failoverSeconds: [Double] { state.withLock { $0.failovers } }
    var events: [String] { state.withLock { $0.events } }

    /// The statuses of the nodes that answered last time, in node order.
    var statuses: [NodeStatus] {
        state.withLock { state in nodes.compactMap { state.statuses[$0.id] } }
    }

    /// Logs an event line (and keeps it for the dashboard).
    func event(_ text: String) {
        let line = String(format: "[%6.1fs] ", elapsed) + text
        state.withLock { state in
            state.events.append(line)
            if state.events.count > 30 { state.events.removeFirst() }
        }
        say(line)
    }

    /// Marks the start of a failover away from the leader with `token` (a kill or a pause).
    func failoverStarted(fromToken: Int64) {
        state.withLock { $0.pendingFailover = (clock.now, fromToken) }
    }

    /// Waits until the failover started last completed, or `timeout` passed. Returns its duration.
    func waitForFailover(timeout: Duration) async -> Double? {
        let end = clock.now + timeout
        while clock.now < end {
            let done: Double? = state.withLock { state in state.pendingFailover == nil ? state.failovers.last : nil }
            if let done { return done }
            try? await Task.sleep(for: .milliseconds(50))
        }
        state.withLock { $0.pendingFailover = nil }
        return nil
    }

    /// Waits until some node leads, or `timeout` passed.
    func waitForLeader(timeout: Duration) async -> Leader? {
        let end = clock.now + timeout
        while clock.now < end {
            if let leader { return leader }
            try? await Task.sleep(for: .milliseconds(50))
        }
        return nil
    }

    /// Polls until cancelled.
    func run() async {
        while !Task.isCancelled {
            let results = await withTaskGroup(of: (String, NodeStatus?).self) { group in
                for node in nodes {
                    group.addTask { (node.id, node.current == .down ? nil : await Self.fetch(node.baseURL)) }
                }
                var results: [(String, NodeStatus?)] = []
                for await result in group { results.append(result) }
                return results
            }
            update(results)
            try? await Task.sleep(for: .milliseconds(100))
        }
    }

    private func update(_ results: [(String, NodeStatus?)]) {
        let now = clock.now
        var lines: [String] = []
        state.withLock { state in
            for (id, status) in results {
                if let status { state.statuses[id] = status } else { state.statuses[id] = nil }
            }
            // Several nodes may briefly claim to lead while a paused one wakes: the newest token is the leader.
            let leading = state.statuses.values.filter { $0.role == "leader" }.max { ($0.token ?? 0) < ($1.token ?? 0) }
            let leader = leading.map { Leader(nodeID: $0.nodeID, token: $0.token ?? 0, leaseRemainingMs: $0.leaseRemainingMs) }
            if leader?.nodeID != state.leader?.nodeID || leader?.token != state.leader?.token {
                if let leader {
                    lines.append("leader: \(leader.nodeID), fencing token \(leader.token)")
                } else if state.leader != nil {
                    lines.append("no node leads")
                }
            }
            state.leader = leader
            if let pending = state.pendingFailover, let leader, leader.token > pending.fromToken {
                let took = Self.seconds(now - pending.startedAt)
                state.failovers.append(took)
                state.pendingFailover = nil
                lines.append(
                    "failover done: \(leader.nodeID) leads with token \(leader.token), " + String(format: "%.2f", took)
                        + " s after the fault")
            }
        }
        for line in lines { event(line) }
    }

    private static func fetch(_ base: String) async -> NodeStatus? {
        do {
            let response = try await HTTPClient.shared.execute(HTTPClientRequest(url: base + "/status"), timeout: .milliseconds(400))
            guard response.status == .ok else { return nil }
            let body = try await response.body.collect(upTo: 4 << 20)
            return try JSONDecoder().decode(NodeStatus.self, from: Data(body.readableBytesView))
        } catch {
            return nil
        }
    }
}
