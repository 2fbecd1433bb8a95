import Billing
import BillingNode
import Foundation
import PaymentSandbox

/// Injects one fault at a time into a ``ChaosCluster``, confirms it took effect, heals it, and
/// returns its record.
struct FaultInjector: Sendable {
    let cluster: ChaosCluster

    var ttl: Duration { cluster.leaseTTL }
    func now() -> Int64 { NodeEventLog.realNowMs() }

    func inject(_ kind: FaultKind, random: inout some RandomNumberGenerator) async throws -> FaultRecord {
        switch kind {
        case .leaderKill, .leaderPause, .leaderStopBeforePending, .leaderStopBeforeCall, .leaderStopBeforeOutcome, .leaderStorePartition,
            .leaderDatabasePartition, .leaderPauseDuringStoreIsolation, .leaderClockStep, .leaderSlowLinks:
            guard let leader = await cluster.waitForLeader(above: nil, timeout: .seconds(30)) else {
                return FaultRecord(
                    kind: kind, target: "-", startMs: now(), confirmedMs: nil, endMs: now(), leaderTokenBefore: nil,
                    detail: "no leader to hit within 30 s")
            }
            let skew = Bool.random(using: &random) ? 3600 : -3600
            let server = Int.random(in: 1...cluster.lab.memberCount, using: &random)
            return try await hitLeader(kind, leader: leader.node, token: leader.token, skewSeconds: skew, server: server)
        case .storeLeaderKill, .storeFollowerKill:
            return try await killServer(leader: kind == .storeLeaderKill, random: &random)
        case .storeServerIsolation:
            return try await isolateServer(Int.random(in: 1...cluster.lab.memberCount, using: &random))
        case .storeServerPause:
            return try await pauseServer(Int.random(in: 1...cluster.lab.memberCount, using: &random))
        case .storeServerCutFromPeers:
            return try await cutServerFromPeers(random: &random)
        case .leaderProviderRefused, .leaderProviderBlackholed, .providerLostThenRefused:
            return try await cutLeaderFromProvider(kind, seed: random.next())
        case .databaseClockStep:
            guard let clock = cluster.databaseClock else { throw HarnessError(FakeClock.missing) }
            let offset = Bool.random(using: &random) ? 3600 : -3600
            var record = FaultRecord(
                kind: kind, target: "postgres", startMs: now(), confirmedMs: nil, endMs: 0, leaderTokenBefore: nil, detail: "")
            guard let postgres = cluster.database.server else { throw HarnessError("\(kind.rawValue) needs a database server") }
            let serverTime: @Sendable () async -> Int64? = {
                (try? postgres.query("SELECT floor(extract(epoch FROM clock_timestamp()) * 1000)::bigint")).flatMap {
                    Int64($0.trimmingCharacters(in: .whitespacesAndNewlines))
                }
            }
            try clock.set(offsetSeconds: offset)
            // Confirmed by the time the server itself reports.
            if await waitForClock(offset: offset, read: serverTime) { record.confirmedMs = now() }
            try await Task.sleep(for: ttl * 3)
            try clock.set(offsetSeconds: 0)
            let back = await waitForClock(offset: 0, read: serverTime)
            record.endMs = now()
            record.detail =
                "the billing database's wall clock stepped \(offset > 0 ? "+" : "")\(offset) s for 3 × TTL, then back\(back ? "" : " (its clock was not seen back)")"
            return record
        case .databasePause:
            var record = FaultRecord(
                kind: kind, target: "postgres", startMs: now(), confirmedMs: nil, endMs: 0, leaderTokenBefore: nil, detail: "")
            guard let server = cluster.database.server else { throw HarnessError("\(kind.rawValue) needs a database server") }
            if await server.process.pause() { record.confirmedMs = now() }
            try await Task.sleep(for: ttl * 2)
            server.process.resume()
            record.endMs = now()
            record.detail = "SIGSTOP the billing database for 2 × TTL, then SIGCONT"
            return record
        case .databaseDiskFull:
            return try await fillDatabaseDisk()
        case .coldStart:
            return try await coldStart()
        case .sandboxLostResponse, .sandboxServerError, .sandboxHang, .sandboxRateLimit, .sandboxLateApply:
            return try await sandboxFault(kind, seed: random.next())
        }
    }

    private func hitLeader(
        _ kind: FaultKind, leader node: ChaosNode, token: Int64, skewSeconds: Int, server: Int
    ) async throws
        -> FaultRecord
    {
        let start = now()
        var record = FaultRecord(
            kind: kind, target: node.id, startMs: start, confirmedMs: nil, endMs: start, leaderTokenBefore: token, detail: "")
        let lab = cluster.lab
        switch kind {
        case .leaderKill:
            if await node.process.kill() { record.confirmedMs = now() }
            let next = await cluster.waitForLeader(above: token, timeout: ttl * 4 + .seconds(10))
            try node.start()
            record.detail =
                "SIGKILL \(node.id) (token \(token)); next leader \(next.map { "\($0.node.id) token \($0.token)" } ?? "none seen"); restarted"
        case .leaderPause:
            if await node.process.pause() { record.confirmedMs = now() }
            try await Task.sleep(for: ttl * 2.5)
            node.process.resume()
            record.detail = "SIGSTOP \(node.id) (token \(token)) for 2.5 × TTL, then SIGCONT"
        case .leaderSlowLinks:
            let before = lab.databaseRoundTrip(node: node.index)
            lab.impairNode(node.index, .slowAndLossy)
            let during = lab.databaseRoundTrip(node: node.index)
            // Confirmed by a round trip that takes at least the link's latency longer during than
            // before (a fresh connection's first bytes wait for the upstream, undelayed).
            if let before, let during, during - before >= LinkImpairment.slowAndLossy.latency {
                record.confirmedMs = now()
            }
            try await Task.sleep(for: ttl * 3)
            try lab.healNode(node.index)
            record.detail =
                "\(node.id) (token \(token)): its links to the store and the database slow and lossy for 3 × TTL (a round trip to the database \(before.map { "\($0)" } ?? "unanswered") before, \(during.map { "\($0)" } ?? "unanswered") during)"
        case .leaderPauseDuringStoreIsolation:
            let endpoint = lab.memberEndpoint(server)
            let reachedBefore = lab.canConnect(fromNode: node.index, to: endpoint.host, port: endpoint.client)
            try lab.isolateMember(server)
            let paused = await node.process.pause()
            if reachedBefore, paused, !lab.canConnect(fromNode: node.index, to: endpoint.host, port: endpoint.client) {
                record.confirmedMs = now()
            }
            try await Task.sleep(for: ttl * 2.5)
            node.process.resume()
            try lab.healMember(server)
            record.detail =
                "SIGSTOP \(node.id) (token \(token)) for 2.5 × TTL while \(cluster.coordination.serverName(server)) was cut off from its peers and the nodes"
        case .leaderStopBeforePending, .leaderStopBeforeCall, .leaderStopBeforeOutcome:
            let failpoint: Failpoint =
                switch kind {
                case .leaderStopBeforePending: .beforePendingWrite
                case .leaderStopBeforeCall: .beforeProviderCall
                default: .beforeOutcomeWrite
                }
            try node.arm(failpoint: failpoint.rawValue)
            var stopped = await node.process.waitUntilStoppedByItself(timeout: .seconds(15))
            // Disarming fails when it fired meanwhile: then the stop is on its way.
            if !stopped, !node.disarm(failpoint: failpoint.rawValue) {
                stopped = await node.process.waitUntilStoppedByItself(timeout: .seconds(2))
            }
            guard stopped else {
                record.detail = "\(node.id) (token \(token)) did not reach \(failpoint.rawValue) within 15 s"
                break
            }
            record.confirmedMs = now()
            // Resumed the moment a successor has raised the fence: its write then meets the new
            // fence before the successor has had time to settle what the write is about.
            let fence = await cluster.waitForFence(above: token, timeout: ttl * 4 + .seconds(10))
            node.process.resume()
            record.detail =
                "\(node.id) (token \(token)) stopped itself at \(failpoint.rawValue); SIGCONT \(fence.map { "once the fence was raised to \($0)" } ?? "after no successor raised the fence")"
        case .leaderStorePartition:
            let request = cluster.coordination.roundTripRequest
            // Confirmed by a probe that succeeds before the cut and fails during it.
            let reachedBefore = lab.nodeReachesCoordination(node.index, request: request)
            let before = lab.proxyCounters(node: node.index)
            try lab.partitionNodeFromCoordination(node.index)
            if reachedBefore, !lab.nodeReachesCoordination(node.index, request: request), lab.holdsCut(node: node.index, coordination: true)
            {
                record.confirmedMs = now()
            }
            let next = await cluster.waitForLeader(above: token, timeout: ttl * 4 + .seconds(10))
            let during = lab.proxyCounters(node: node.index)
            try lab.healNode(node.index)
            let healed = lab.nodeReachesCoordination(node.index, request: request)
            record.detail =
                "\(node.id) (token \(token)) cut off from the coordination store\(reachedBefore ? "" : " (which it did not reach before the cut either)"); next leader \(next.map { "\($0.node.id) token \($0.token)" } ?? "none seen"); healed\(healed ? "" : " (the store not yet reachable again)")\(Self.proxyNote(before, during))"
        case .leaderDatabasePartition:
            guard let server = cluster.database.server else { throw HarnessError("\(kind.rawValue) needs a database server") }
            let reachedBefore = lab.nodeReachesDatabase(node.index, serverPort: server.port)
            let before = lab.proxyCounters(node: node.index)
            try lab.partitionNodeFromDatabase(node.index)
            if reachedBefore, !lab.nodeReachesDatabase(node.index, serverPort: server.port),
                lab.holdsCut(node: node.index, coordination: false)
            {
                record.confirmedMs = now()
            }
            try await Task.sleep(for: ttl * 1.5)
            let during = lab.proxyCounters(node: node.index)
            try lab.healNode(node.index)
            record.detail = "\(node.id) (token \(token)) cut off from PostgreSQL for 1.5 × TTL\(Self.proxyNote(before, during))"
        case .leaderClockStep:
            guard let clock = node.clock else { throw HarnessError(FakeClock.missing) }
            try clock.set(offsetSeconds: skewSeconds)
            // Confirmed by the time the node itself reports.
            if await waitForClock(offset: skewSeconds, read: { await node.status(probe: cluster.probe)?.nowMs }) {
                record.confirmedMs = now()
            }
            try await Task.sleep(for: ttl * 3)
            try clock.set(offsetSeconds: 0)
            let back = await waitForClock(offset: 0, read: { await node.status(probe: cluster.probe)?.nowMs })
            record.detail =
                "\(node.id) (token \(token)) had its wall clock stepped \(skewSeconds > 0 ? "+" : "")\(skewSeconds) s for 3 × TTL, then back\(back ? "" : " (its clock was not seen back)")"
        default:
            preconditionFailure("\(kind) does not target the leader")
        }
        record.endMs = now()
        return record
    }

    /// Waits (up to 5 s) until `read` reports a time `offset` seconds from the real one, within 2 s.
    private func waitForClock(offset: Int, read: @Sendable () async -> Int64?) async -> Bool {
        for _ in 0..<50 {
            if let reported = await read(), abs(reported - now() - Int64(offset) * 1000) < 2000 { return true }
            try? await Task.sleep(for: .milliseconds(100))
        }
        return false
    }

    /// What the proxies dropped and held during a partition, for its detail ("" without proxies).
    private static func proxyNote(_ before: (dropped: Int, held: Int)?, _ during: (dropped: Int, held: Int)?) -> String {
        guard let before, let during else { return "" }
        return "; the proxies dropped \(during.dropped - before.dropped) bytes and held \(during.held) connections blackholed"
    }

    func failed(_ kind: FaultKind, _ detail: String) -> FaultRecord {
        FaultRecord(kind: kind, target: "-", startMs: now(), confirmedMs: nil, endMs: now(), leaderTokenBefore: nil, detail: detail)
    }

    private func coldStart() async throws -> FaultRecord {
        var record = FaultRecord(
            kind: .coldStart, target: "everything", startMs: now(), confirmedMs: nil, endMs: 0, leaderTokenBefore: nil, detail: "")
        let leader = await cluster.currentLeader()
        record.leaderTokenBefore = leader?.token
        var killed = await withTaskGroup(of: Bool.self) { group in
            for node in cluster.nodes { group.addTask { await node.process.kill() } }
            var all = true
            for await reaped in group { all = all && reaped }
            return all
        }
        for server in cluster.coordination.servers { killed = await server.kill() && killed }
        if let server = cluster.database.server { killed = await server.process.kill() && killed }
        if killed { record.confirmedMs = now() }
        try await cluster.database.server?.start()
        try await cluster.coordination.startAll()
        for node in cluster.nodes { try node.start() }
        record.endMs = now()
        record.detail =
            "SIGKILL of \(cluster.nodes.count) nodes, \(cluster.coordination.servers.count) coordination server(s)\(cluster.database.server == nil ? "" : " and PostgreSQL"), then a cold start"
        return record
    }
}
