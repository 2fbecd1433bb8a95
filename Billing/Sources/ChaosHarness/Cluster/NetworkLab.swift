import ChildProcesses
import Foundation

/// Where the harness's processes live on the network, and the partitions it can cut.
///
/// In `namespaces` mode (root, Linux) each billing node and each coordination server (an etcd
/// member, a ZooKeeper server, the coordination PostgreSQL) runs in a network
/// namespace of its own, joined to the host by a veth pair; the host routes between them.
/// PostgreSQL and the payment sandbox run on the host, reached by each node at host addresses
/// on its own link (`10.213.1N.3` for PostgreSQL, `10.213.1N.4` for the sandbox), so that a
/// node can lose one without the other. A partition is a blackhole route inside the cut-off
/// namespace, which drops packets of established connections too (no iptables needed).
///
/// In `proxy` mode (no namespaces needed) everything listens on 127.0.0.1, and each node reaches
/// every coordination server and PostgreSQL through a ``TCPProxy`` of its own (``ProxyNetwork``); a
/// partition is a cut proxy, which blackholes the link. The servers' peer traffic is direct, so
/// the faults that cut a server off from its peers are left out. Nothing here touches namespaces or routes, so a proxy run
/// can share the machine with a namespace run.
///
/// In `loopback` mode everything listens on 127.0.0.1, directly, and the partition faults are not
/// available; the report says so.
final class NetworkLab: Sendable {
    enum Mode: String, Codable, Sendable {
        case namespaces
        case proxy
        case loopback
    }

    let mode: Mode
    let nodeCount: Int
    let memberCount: Int
    private let loopbackMemberPorts: [MemberEndpoint]
    /// PostgreSQL's port, chosen here in proxy mode because the proxies need it before the server exists.
    let databasePort: Int?
    private let proxies: ProxyNetwork?

    private init(
        mode: Mode, nodeCount: Int, memberCount: Int, loopbackMemberPorts: [MemberEndpoint] = [], databasePort: Int? = nil,
        proxies: ProxyNetwork? = nil
    ) {
        self.mode = mode
        self.nodeCount = nodeCount
        self.memberCount = memberCount
        self.loopbackMemberPorts = loopbackMemberPorts
        self.databasePort = databasePort
        self.proxies = proxies
    }

    /// Builds the namespaces when `requested` allows and the machine does; otherwise (auto) the
    /// proxies on loopback; plain loopback only when asked for.
    static func make(requested: Mode?, nodes: Int, members: Int, say: (String) -> Void) async throws -> NetworkLab {
        if requested == nil || requested == .namespaces {
            do {
                let lab = NetworkLab(mode: .namespaces, nodeCount: nodes, memberCount: members)
                do {
                    try lab.buildNamespaces()
                } catch {
                    lab.tearDown()
                    throw error
                }
                return lab
            } catch {
                if requested == .namespaces { throw error }
                say(
                    "network namespaces are not available here (\(error)); running in proxy mode (partitions by TCP proxies, no faults between coordination servers)"
                )
            }
        }
        let ports = try (0..<members).map { _ in
            MemberEndpoint(host: "127.0.0.1", client: try FreePort.pick(), peer: try FreePort.pick(), election: try FreePort.pick())
        }
        guard requested != .loopback else {
            return NetworkLab(mode: .loopback, nodeCount: nodes, memberCount: members, loopbackMemberPorts: ports)
        }
        let databasePort = try FreePort.pick()
        let proxies = try await ProxyNetwork.start(nodes: nodes, memberClientPorts: ports.map(\.client), databasePort: databasePort)
        return NetworkLab(
            mode: .proxy, nodeCount: nodes, memberCount: members, loopbackMemberPorts: ports, databasePort: databasePort, proxies: proxies
        )
    }

    static let nodeNamespacePrefix = "chaos-n"
    static let memberNamespacePrefix = "chaos-e"

    private func nodeNamespace(_ index: Int) -> String { "\(Self.nodeNamespacePrefix)\(index)" }
    private func memberNamespace(_ index: Int) -> String { "\(Self.memberNamespacePrefix)\(index)" }
    private func nodeSubnet(_ index: Int) -> String { "10.213.\(10 + index)" }
    private func memberSubnet(_ index: Int) -> String { "10.213.\(20 + index)" }

    // MARK: Addresses (indexes start at 1)

    /// The address the harness reaches node `index`'s HTTP API at.
    func nodeAddress(_ index: Int) -> String { mode == .namespaces ? "\(nodeSubnet(index)).2" : "127.0.0.1" }
    /// The address node `index` listens on.
    func nodeListenAddress(_ index: Int) -> String { mode == .namespaces ? "0.0.0.0" : "127.0.0.1" }
    /// The address node `index` reaches the sandbox at.
    func sandboxAddress(forNode index: Int) -> String { mode == .namespaces ? "\(nodeSubnet(index)).4" : "127.0.0.1" }
    /// The address node `index` reaches PostgreSQL at.
    func databaseAddress(forNode index: Int) -> String { mode == .namespaces ? "\(nodeSubnet(index)).3" : "127.0.0.1" }
    /// The addresses PostgreSQL must listen on.
    var databaseListenAddresses: [String] {
        ["127.0.0.1"] + (mode == .namespaces ? (1...nodeCount).map { databaseAddress(forNode: $0) } : [])
    }
    /// The address the sandbox must listen on.
    var sandboxListenAddress: String { mode == .namespaces ? "0.0.0.0" : "127.0.0.1" }
    /// A coordination server's address and ports: one for clients, two for its peers (etcd uses
    /// one of them, ZooKeeper both).
    struct MemberEndpoint: Sendable {
        var host: String
        var client: Int
        var peer: Int
        var election: Int
    }

    /// Coordination server `index`'s address and ports (the same ports on every namespace's own address).
    func memberEndpoint(_ index: Int) -> MemberEndpoint {
        switch mode {
        case .namespaces: MemberEndpoint(host: "\(memberSubnet(index)).2", client: 2379, peer: 2380, election: 2381)
        case .proxy, .loopback: loopbackMemberPorts[index - 1]
        }
    }

    /// The address a coordination server must listen on.
    func memberListenAddress(_ index: Int) -> String { memberEndpoint(index).host }

    /// Where node `index` reaches each coordination server's client port: through its own proxies in proxy mode.
    func coordinationEndpoints(forNode index: Int) -> [(host: String, port: Int)] {
        if let proxies { return proxies.coordinationProxies(forNode: index).map { ("127.0.0.1", $0.port) } }
        return (1...memberCount).map {
            let endpoint = memberEndpoint($0); return (endpoint.host, endpoint.client)
        }
    }

    /// Where node `index` reaches PostgreSQL, which listens on `serverPort`: through its own proxy in proxy mode.
    func databaseEndpoint(forNode index: Int, serverPort: Int) -> (host: String, port: Int) {
        if let proxies { return ("127.0.0.1", proxies.databaseProxy(forNode: index).port) }
        return (databaseAddress(forNode: index), serverPort)
    }

    /// `arguments` prefixed to run inside node `index`'s namespace.
    func inNodeNamespace(_ index: Int, _ arguments: [String]) -> [String] {
        mode == .namespaces ? ["/usr/sbin/ip", "netns", "exec", nodeNamespace(index)] + arguments : arguments
    }

    /// `arguments` prefixed to run inside coordination server `index`'s namespace.
    func inMemberNamespace(_ index: Int, _ arguments: [String]) -> [String] {
        mode == .namespaces ? ["/usr/sbin/ip", "netns", "exec", memberNamespace(index)] + arguments : arguments
    }

    // MARK: Partitions

    /// Whether nodes can be cut off from the coordination store or PostgreSQL.
    var canPartitionNodes: Bool { mode != .loopback }
    /// Whether a coordination server can be cut off from the others (their peer links are not proxied).
    var canIsolateMembers: Bool { mode == .namespaces }

    /// Whether this network can inject `kind`.
    func supports(_ kind: FaultKind) -> Bool {
        switch kind {
        case .leaderStorePartition, .leaderDatabasePartition: canPartitionNodes
        case .storeServerIsolation, .storeServerCutFromPeers, .leaderPauseDuringStoreIsolation: canIsolateMembers
        // The sandbox is not proxied: only a namespace's route can cut a node off from it.
        case .leaderProviderRefused, .leaderProviderBlackholed, .providerLostThenRefused: mode == .namespaces
        // Delays need a relay: the proxies.
        case .leaderSlowLinks: mode == .proxy
        default: true
        }
    }

    /// Cuts node `index` off from every coordination server; it still reaches PostgreSQL and the sandbox.
    func partitionNodeFromCoordination(_ index: Int) throws {
        if let proxies {
            for proxy in proxies.coordinationProxies(forNode: index) { proxy.cut() }
            return
        }
        for member in 1...memberCount {
            try Shell.check(["ip", "-n", nodeNamespace(index), "route", "replace", "blackhole", "\(memberSubnet(member)).2/32"])
        }
    }

    /// Cuts node `index` off from every coordination server but `kept` (namespaces only).
    func partitionNodeFromMembers(_ index: Int, except kept: Int) throws {
        for member in 1...memberCount where member != kept {
            try Shell.check(["ip", "-n", nodeNamespace(index), "route", "replace", "blackhole", "\(memberSubnet(member)).2/32"])
        }
    }

    /// Cuts node `index` off from PostgreSQL; it still reaches the coordination store and the sandbox.
    func partitionNodeFromDatabase(_ index: Int) throws {
        if let proxies {
            proxies.databaseProxy(forNode: index).cut()
            return
        }
        try Shell.check(["ip", "-n", nodeNamespace(index), "route", "replace", "blackhole", "\(databaseAddress(forNode: index))/32"])
    }

    /// Cuts node `index` off from the sandbox (namespaces only): `refuse` makes its connections
    /// fail at once (an `unreachable` route: EHOSTUNREACH), otherwise they go unanswered (a
    /// `blackhole` route: the connect times out).
    func cutNodeFromProvider(_ index: Int, refuse: Bool) throws {
        try Shell.check([
            "ip", "-n", nodeNamespace(index), "route", "replace", refuse ? "unreachable" : "blackhole",
            "\(sandboxAddress(forNode: index))/32",
        ])
    }

    /// Makes node `index`'s links to the coordination store and the database slow and lossy (proxy
    /// mode), or, with nil, restores them.
    func impairNode(_ index: Int, _ impairment: LinkImpairment?) {
        for proxy in proxies?.links(ofNode: index) ?? [] { proxy.impair(impairment) }
    }

    /// The time a round trip to the billing database takes through node `index`'s proxy (proxy
    /// mode; nil without proxies or without an answer within 2 s).
    func databaseRoundTrip(node index: Int) -> Duration? {
        guard let proxies else { return nil }
        let clock = ContinuousClock()
        let start = clock.now
        guard RoundTrip.succeeds(port: proxies.databaseProxy(forNode: index).port, request: RoundTrip.postgresRequest, timeout: .seconds(2))
        else { return nil }
        return clock.now - start
    }

    /// Removes node `index`'s partitions and impairments.
    func healNode(_ index: Int) throws {
        if let proxies {
            for proxy in proxies.links(ofNode: index) {
                proxy.heal()
                proxy.impair(nil)
            }
            return
        }
        var targets = (1...memberCount).map { "\(memberSubnet($0)).2/32" }
        targets.append("\(databaseAddress(forNode: index))/32")
        for target in targets {
            // Absent routes are fine: only some were cut.
            _ = try Shell.run(["ip", "-n", nodeNamespace(index), "route", "del", "blackhole", target])
        }
        for type in ["blackhole", "unreachable"] {
            _ = try Shell.run(["ip", "-n", nodeNamespace(index), "route", "del", type, "\(sandboxAddress(forNode: index))/32"])
        }
    }

    /// Cuts coordination server `index` off from the other servers and from every node.
    func isolateMember(_ index: Int) throws {
        try Shell.check(["ip", "-n", memberNamespace(index), "route", "replace", "blackhole", "default"])
    }

    /// Cuts coordination server `index` off from the other servers only: the nodes (and the
    /// harness) still reach it.
    func cutMemberFromPeers(_ index: Int) throws {
        for other in 1...memberCount where other != index {
            try Shell.check(["ip", "-n", memberNamespace(index), "route", "replace", "blackhole", "\(memberSubnet(other)).2/32"])
        }
    }

    /// Reconnects coordination server `index` (undoes ``isolateMember(_:)`` and ``cutMemberFromPeers(_:)``).
    func healMember(_ index: Int) throws {
        try Shell.check(["ip", "-n", memberNamespace(index), "route", "replace", "default", "via", "\(memberSubnet(index)).1"])
        for other in 1...memberCount where other != index {
            // Absent routes are fine: only an isolation from the peers adds them.
            _ = try Shell.run(["ip", "-n", memberNamespace(index), "route", "del", "blackhole", "\(memberSubnet(other)).2/32"])
        }
    }

    /// Whether node `index` gets an answer from the coordination store (server 1) within a
    /// second: in proxy mode `request` through its proxy, elsewhere a TCP connect from its namespace.
    func nodeReachesCoordination(_ index: Int, request: [UInt8]) -> Bool {
        if let proxies { return RoundTrip.succeeds(port: proxies.coordinationProxies(forNode: index)[0].port, request: request) }
        let member = memberEndpoint(1)
        return canConnect(fromNode: index, to: member.host, port: member.client)
    }

    /// Whether node `index` gets an answer from PostgreSQL (on `serverPort`) within a second: in proxy
    /// mode an SSLRequest through its proxy, elsewhere a TCP connect from its namespace.
    func nodeReachesDatabase(_ index: Int, serverPort: Int) -> Bool {
        if let proxies { return RoundTrip.succeeds(port: proxies.databaseProxy(forNode: index).port, request: RoundTrip.postgresRequest) }
        return canConnect(fromNode: index, to: databaseAddress(forNode: index), port: serverPort)
    }

    /// Whether the harness itself holds node `index`'s coordination links (or its database link)
    /// cut: the proxy mode's second witness of a partition, beside the failed round trip. Always
    /// true for namespaces, whose routes `ip` has already confirmed.
    func holdsCut(node index: Int, coordination: Bool) -> Bool {
        guard let proxies else { return true }
        return coordination
            ? proxies.coordinationProxies(forNode: index).allSatisfy(\.isCut) : proxies.databaseProxy(forNode: index).isCut
    }

    /// The bytes node `index`'s proxies have dropped so far and the connections they hold
    /// blackholed now, for a fault's detail; nil without proxies.
    func proxyCounters(node index: Int) -> (dropped: Int, held: Int)? {
        guard let proxies else { return nil }
        let links = proxies.links(ofNode: index)
        return (links.reduce(0) { $0 + $1.droppedBytes }, links.reduce(0) { $0 + $1.heldConnections })
    }

    /// Whether a TCP connection to `host:port` opens within a second from node `node`'s
    /// namespace (or member `member`'s, or the host's): how a partition is confirmed.
    func canConnect(fromNode node: Int? = nil, fromMember member: Int? = nil, to host: String, port: Int) -> Bool {
        // SIGKILL, not timeout's default SIGTERM: this process's children inherit a signal mask
        // that blocks SIGTERM, and a blocked SIGTERM would let connect() run its full two minutes.
        var arguments = ["timeout", "-s", "KILL", "1", "bash", "-c", "exec 3<>/dev/tcp/\(host)/\(port)"]
        if mode == .namespaces {
            if let node { arguments = ["ip", "netns", "exec", nodeNamespace(node)] + arguments }
            if let member { arguments = ["ip", "netns", "exec", memberNamespace(member)] + arguments }
        }
        return ((try? Shell.run(arguments))?.status ?? 1) == 0
    }

    // MARK: Set-up and tear-down

    private func buildNamespaces() throws {
        guard getuid() == 0 else { throw HarnessError("network namespaces need root") }
        tearDown()
        try Shell.check(["sysctl", "-q", "-w", "net.ipv4.ip_forward=1"])
        for index in 1...nodeCount {
            try link(
                namespace: nodeNamespace(index), subnet: nodeSubnet(index),
                extraHostAddresses: ["\(databaseAddress(forNode: index))", "\(sandboxAddress(forNode: index))"])
        }
        for index in 1...memberCount {
            try link(namespace: memberNamespace(index), subnet: memberSubnet(index), extraHostAddresses: [])
        }
    }

    /// A namespace joined to the host by a veth pair: host side `SUBNET.1/29` (and the extra
    /// addresses), namespace side `SUBNET.2/29` with its default route through the host.
    private func link(namespace: String, subnet: String, extraHostAddresses: [String]) throws {
        try Shell.check(["ip", "netns", "add", namespace])
        try Shell.check(["ip", "link", "add", namespace, "type", "veth", "peer", "name", "eth0", "netns", namespace])
        try Shell.check(["ip", "addr", "add", "\(subnet).1/29", "dev", namespace])
        for address in extraHostAddresses { try Shell.check(["ip", "addr", "add", "\(address)/29", "dev", namespace]) }
        try Shell.check(["ip", "link", "set", namespace, "up"])
        try Shell.check(["ip", "-n", namespace, "link", "set", "lo", "up"])
        try Shell.check(["ip", "-n", namespace, "addr", "add", "\(subnet).2/29", "dev", "eth0"])
        try Shell.check(["ip", "-n", namespace, "link", "set", "eth0", "up"])
        try Shell.check(["ip", "-n", namespace, "route", "add", "default", "via", "\(subnet).1"])
    }

    /// Deletes the harness's namespaces (and with them their veth pairs), also leftovers of an
    /// earlier run that was killed.
    func tearDown() {
        proxies?.close()
        guard mode == .namespaces else { return }
        let existing = (try? Shell.run(["ip", "netns", "list"]))?.output ?? ""
        for line in existing.split(separator: "\n") {
            let name = String(line.split(separator: " ").first ?? "")
            if name.hasPrefix(Self.nodeNamespacePrefix) || name.hasPrefix(Self.memberNamespacePrefix) {
                // Deleting the host end removes the pair at once; a deleted namespace's links
                // otherwise linger while the kernel cleans it up, and the next run's would clash.
                _ = try? Shell.run(["ip", "link", "del", name])
                _ = try? Shell.run(["ip", "netns", "del", name])
            }
        }
        // A namespace deleted a moment ago (by the last run) may still be cleaning up its links.
        for _ in 0..<100 {
            let links = (try? Shell.run(["ip", "-o", "link", "show"]))?.output ?? ""
            let lingering = links.split(separator: "\n").compactMap { line -> String? in
                let name = line.split(separator: ":").dropFirst().first.map { $0.trimmingCharacters(in: .whitespaces) } ?? ""
                let base = String(name.split(separator: "@").first ?? "")
                return base.hasPrefix(Self.nodeNamespacePrefix) || base.hasPrefix(Self.memberNamespacePrefix) ? base : nil
            }
            if lingering.isEmpty { return }
            for name in lingering { _ = try? Shell.run(["ip", "link", "del", name]) }
            usleep(100_000)
        }
    }
}
