import Foundation

/// The faults on the coordination store's servers.
extension FaultInjector {
    func killServer(leader: Bool, random: inout some RandomNumberGenerator) async throws -> FaultRecord {
        let kind: FaultKind = leader ? .storeLeaderKill : .storeFollowerKill
        let coordination = cluster.coordination
        guard let storeLeader = await coordination.waitForLeader(timeout: .seconds(20)) else {
            return failed(kind, "no server of the coordination store said it leads within 20 s")
        }
        let followers = (1...cluster.lab.memberCount).filter { $0 != storeLeader }
        guard leader || !followers.isEmpty else { return failed(kind, "the coordination store has no followers") }
        let target = leader ? storeLeader : followers.randomElement(using: &random)!
        let server = coordination.servers[target - 1]
        var record = FaultRecord(
            kind: kind, target: coordination.serverName(target), startMs: now(), confirmedMs: nil, endMs: 0, leaderTokenBefore: nil,
            detail: "")
        if await server.kill() { record.confirmedMs = now() }
        try await Task.sleep(for: .seconds(3))
        try await coordination.startAll()
        let newLeader = await coordination.waitForLeader(timeout: .seconds(20))
        record.endMs = now()
        record.detail =
            "SIGKILL \(coordination.serverName(target)) (\(leader ? "leading" : "following")), restarted after 3 s; leading server now \(newLeader.map { coordination.serverName($0) } ?? "unknown")"
        return record
    }

    /// Cuts server `index` off from its peers and from every node for 2 × TTL; confirmed by a
    /// connection from a node's namespace that opens before the cut and fails during it.
    func isolateServer(_ index: Int) async throws -> FaultRecord {
        let lab = cluster.lab
        let endpoint = lab.memberEndpoint(index)
        let name = cluster.coordination.serverName(index)
        var record = FaultRecord(
            kind: .storeServerIsolation, target: name, startMs: now(), confirmedMs: nil, endMs: 0, leaderTokenBefore: nil, detail: "")
        let reachedBefore = lab.canConnect(fromNode: 1, to: endpoint.host, port: endpoint.client)
        try lab.isolateMember(index)
        if reachedBefore, !lab.canConnect(fromNode: 1, to: endpoint.host, port: endpoint.client) { record.confirmedMs = now() }
        try await Task.sleep(for: ttl * 2)
        try lab.healMember(index)
        record.endMs = now()
        record.detail =
            "\(name) isolated from its peers and the nodes for 2 × TTL\(reachedBefore ? "" : " (node-1 did not reach it before the cut)")"
        return record
    }

    /// SIGSTOP of server `index` for 2 × TTL.
    func pauseServer(_ index: Int) async throws -> FaultRecord {
        let server = cluster.coordination.servers[index - 1]
        let name = cluster.coordination.serverName(index)
        var record = FaultRecord(
            kind: .storeServerPause, target: name, startMs: now(), confirmedMs: nil, endMs: 0, leaderTokenBefore: nil, detail: "")
        if await server.pause() { record.confirmedMs = now() }
        try await Task.sleep(for: ttl * 2)
        server.resume()
        record.endMs = now()
        record.detail = "SIGSTOP \(name) for 2 × TTL, then SIGCONT"
        return record
    }

    /// Cuts the server that the leader's lease lives on (as the store tells; a random one
    /// otherwise) off from its peers for 8 s, while the nodes still reach it, and the leading node
    /// off from every other server. Confirmed by a
    /// connection from a peer's namespace to its peer port that opens before the cut and fails
    /// during it, and one from the leading node's namespace to its client port that still opens.
    func cutServerFromPeers(random: inout some RandomNumberGenerator) async throws -> FaultRecord {
        let lab = cluster.lab
        let coordination = cluster.coordination
        let leader = await cluster.waitForLeader(above: nil, timeout: .seconds(30))
        let holding: Int? =
            if let lease = cluster.observer.latest?.lease { await coordination.serverHolding(lease: lease) } else { nil }
        let target = holding ?? Int.random(in: 1...lab.memberCount, using: &random)
        let name = coordination.serverName(target)
        var record = FaultRecord(
            kind: .storeServerCutFromPeers, target: name, startMs: now(), confirmedMs: nil, endMs: 0, leaderTokenBefore: leader?.token,
            detail: "")
        let endpoint = lab.memberEndpoint(target)
        let peer = target == 1 ? 2 : 1
        // ZooKeeper's followers listen for peers on the election port only; etcd on its peer port.
        let peerPort = coordination.kind == .zookeeper ? endpoint.election : endpoint.peer
        let reachedBefore = lab.canConnect(fromMember: peer, to: endpoint.host, port: peerPort)
        try lab.cutMemberFromPeers(target)
        // The leading node keeps only that server (as if it shared its rack): every session it
        // has, its lease's and its observer's, can only go there, and hears only what it says.
        if let leader { try lab.partitionNodeFromMembers(leader.node.index, except: target) }
        let clientsReach = leader.map { lab.canConnect(fromNode: $0.node.index, to: endpoint.host, port: endpoint.client) } ?? true
        if reachedBefore, !lab.canConnect(fromMember: peer, to: endpoint.host, port: peerPort), clientsReach { record.confirmedMs = now() }
        try await Task.sleep(for: max(ttl * 2, .seconds(8)))
        try lab.healMember(target)
        if let leader { try lab.healNode(leader.node.index) }
        record.endMs = now()
        record.detail =
            "\(name) (\(holding != nil ? "the leader's lease lives there" : "chosen at random")) cut off from its peers for 8 s, the leading node from every other server; it \(clientsReach ? "still reached" : "did NOT reach") the cut server"
        return record
    }
}
