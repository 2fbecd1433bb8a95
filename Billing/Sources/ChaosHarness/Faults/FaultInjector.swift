import Billing
import BillingNode
import Foundation
import PaymentSandbox

/// Injects one fault at a time into a ``ChaosCluster``, confirms it took effect, heals it, and
/// returns its record.
struct FaultInjector: Sendable {
    let cluster: ChaosCluster

    private var ttl: Duration { cluster.leaseTTL }
    private func now() -> Int64 { NodeEventLog.realNowMs() }

    func inject(_ kind: FaultKind, random: inout some RandomNumberGenerator) async throws -> FaultRecord {
        switch kind {
        case .leaderKill, .leaderPause, .leaderStopBeforePending, .leaderStopBeforeCall, .leaderStopBeforeOutcome, .leaderEtcdPartition,
            .leaderDatabasePartition, .clockSkew:
            guard let leader = await cluster.waitForLeader(above: nil, timeout: .seconds(30)) else {
                return FaultRecord(
                    kind: kind, target: "-", startMs: now(), confirmedMs: nil, endMs: now(), leaderTokenBefore: nil,
                    detail: "no leader to hit within 30 s")
            }
            let skew = Bool.random(using: &random) ? 3600 : -3600
            return try await hitLeader(kind, leader: leader.node, token: leader.token, skewSeconds: skew)
        case .etcdLeaderKill, .etcdFollowerKill:
            return try await killMember(leader: kind == .etcdLeaderKill, random: &random)
        case .etcdMemberIsolation:
            let member = Int.random(in: 1...cluster.lab.memberCount, using: &random)
            return try await isolateMember(member)
        case .coldStart:
            return try await coldStart()
        case .sandboxLostResponse, .sandboxServerError, .sandboxHang, .sandboxRateLimit:
            return try await sandboxFault(kind, seed: random.next())
        }
    }

    private func hitLeader(_ kind: FaultKind, leader node: ChaosNode, token: Int64, skewSeconds: Int) async throws -> FaultRecord {
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
        case .leaderEtcdPartition:
            let before = lab.proxyCounters(node: node.index)
            try lab.partitionNodeFromEtcd(node.index)
            if !lab.nodeReachesEtcd(node.index), lab.holdsCut(node: node.index, etcd: true) { record.confirmedMs = now() }
            let next = await cluster.waitForLeader(above: token, timeout: ttl * 4 + .seconds(10))
            let during = lab.proxyCounters(node: node.index)
            try lab.healNode(node.index)
            let healed = lab.nodeReachesEtcd(node.index)
            record.detail =
                "\(node.id) (token \(token)) cut off from etcd; next leader \(next.map { "\($0.node.id) token \($0.token)" } ?? "none seen"); healed\(healed ? "" : " (etcd not yet reachable again)")\(Self.proxyNote(before, during))"
        case .leaderDatabasePartition:
            let before = lab.proxyCounters(node: node.index)
            try lab.partitionNodeFromDatabase(node.index)
            if !lab.nodeReachesDatabase(node.index, serverPort: cluster.postgres.port), lab.holdsCut(node: node.index, etcd: false) {
                record.confirmedMs = now()
            }
            try await Task.sleep(for: ttl * 1.5)
            let during = lab.proxyCounters(node: node.index)
            try lab.healNode(node.index)
            record.detail = "\(node.id) (token \(token)) cut off from PostgreSQL for 1.5 × TTL\(Self.proxyNote(before, during))"
        case .clockSkew:
            await node.process.terminate(grace: .seconds(15))
            try node.start(skewSeconds: skewSeconds)
            for _ in 0..<100 {
                if let status = await node.status(probe: cluster.probe), abs(status.nowMs - now() - Int64(skewSeconds) * 1000) < 5000 {
                    record.confirmedMs = now()
                    break
                }
                try await Task.sleep(for: .milliseconds(100))
            }
            record.detail = "\(node.id) (token \(token)) restarted with its wall clock \(skewSeconds > 0 ? "+" : "")\(skewSeconds) s off"
        default:
            preconditionFailure("\(kind) does not target the leader")
        }
        record.endMs = now()
        return record
    }

    /// What the proxies dropped and held during a partition, for its detail ("" without proxies).
    private static func proxyNote(_ before: (dropped: Int, held: Int)?, _ during: (dropped: Int, held: Int)?) -> String {
        guard let before, let during else { return "" }
        return "; the proxies dropped \(during.dropped - before.dropped) bytes and held \(during.held) connections blackholed"
    }

    private func killMember(leader: Bool, random: inout some RandomNumberGenerator) async throws -> FaultRecord {
        let kind: FaultKind = leader ? .etcdLeaderKill : .etcdFollowerKill
        let start = now()
        guard let raftLeader = await cluster.etcd.waitForLeader(timeout: .seconds(20)) else {
            return FaultRecord(
                kind: kind, target: "-", startMs: start, confirmedMs: nil, endMs: now(), leaderTokenBefore: nil,
                detail: "no etcd leader within 20 s")
        }
        let followers = (1...cluster.lab.memberCount).filter { $0 != raftLeader }
        let target = leader ? raftLeader : followers.randomElement(using: &random)!
        let member = cluster.etcd.members[target - 1]
        var record = FaultRecord(
            kind: kind, target: "etcd e\(target)", startMs: now(), confirmedMs: nil, endMs: 0, leaderTokenBefore: nil, detail: "")
        if await member.kill() { record.confirmedMs = now() }
        try await Task.sleep(for: .seconds(3))
        try member.start()
        let newLeader = await cluster.etcd.waitForLeader(timeout: .seconds(20))
        record.endMs = now()
        record.detail =
            "SIGKILL etcd e\(target) (\(leader ? "Raft leader" : "follower")), restarted after 3 s; Raft leader now \(newLeader.map { "e\($0)" } ?? "unknown")"
        return record
    }

    private func isolateMember(_ index: Int) async throws -> FaultRecord {
        let lab = cluster.lab
        let endpoint = lab.memberEndpoint(index)
        let other = index == 1 ? 2 : 1
        var record = FaultRecord(
            kind: .etcdMemberIsolation, target: "etcd e\(index)", startMs: now(), confirmedMs: nil, endMs: 0, leaderTokenBefore: nil,
            detail: "")
        try lab.isolateMember(index)
        if !lab.canConnect(fromMember: other, to: endpoint.host, port: endpoint.peer) { record.confirmedMs = now() }
        try await Task.sleep(for: ttl * 2)
        try lab.healMember(index)
        record.endMs = now()
        record.detail = "etcd e\(index) isolated for 2 × TTL"
        return record
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
        for member in cluster.etcd.members { killed = await member.kill() && killed }
        killed = await cluster.postgres.process.kill() && killed
        if killed { record.confirmedMs = now() }
        try await cluster.postgres.start()
        try cluster.etcd.startAll()
        for node in cluster.nodes { try node.start() }
        record.endMs = now()
        record.detail = "SIGKILL of 5 nodes, 3 etcd members and PostgreSQL, then a cold start"
        return record
    }

    private func sandboxFault(_ kind: FaultKind, seed: UInt64) async throws -> FaultRecord {
        let sandbox = cluster.sandbox
        let before = sandbox.statistics()
        var rates = FaultRates(seed: seed)
        switch kind {
        case .sandboxLostResponse: rates.lostRate = 0.3
        case .sandboxServerError: rates.serverErrorRate = 0.3
        case .sandboxHang:
            rates.hangRate = 0.15
            rates.hangDuration = .seconds(3)
        case .sandboxRateLimit:
            rates.rateLimitRate = 0.3
            rates.retryAfter = .milliseconds(500)
        default: preconditionFailure("\(kind) is not a sandbox fault")
        }
        var record = FaultRecord(
            kind: kind, target: "sandbox", startMs: now(), confirmedMs: nil, endMs: 0, leaderTokenBefore: nil, detail: "")
        try sandbox.setFaultRates(rates)
        let clock = ContinuousClock()
        let end = clock.now + .seconds(3)
        var applied = 0
        while clock.now < end || (applied == 0 && clock.now < end + .seconds(7)) {
            try await Task.sleep(for: .milliseconds(100))
            let after = sandbox.statistics()
            applied =
                switch kind {
                case .sandboxLostResponse: after.lostFaults - before.lostFaults
                case .sandboxServerError: after.serverErrorFaults - before.serverErrorFaults
                case .sandboxHang: after.hangFaults - before.hangFaults
                default: after.rateLimitFaults - before.rateLimitFaults
                }
            if applied > 0, record.confirmedMs == nil { record.confirmedMs = now() }
        }
        try sandbox.setFaultRates(.none)
        record.endMs = now()
        record.detail = "\(applied) requests hit by \(kind.rawValue) in the window"
        return record
    }
}
