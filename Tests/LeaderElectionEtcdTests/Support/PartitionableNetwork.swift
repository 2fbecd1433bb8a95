import Foundation
import Glibc

/// Network namespaces for the members of an etcd cluster, so that a test can cut one member off
/// from the others (their peer traffic) while clients on the host still reach it.
///
/// A trimmed copy of the ZooKeeper tests' `PartitionableNetwork` (test targets cannot share
/// support files yet), with names and addresses of its own (`10.218.N.0/24`, `et*` links and
/// namespaces), so that both can run in one test process at once.
///
/// Each member runs in a namespace of its own (`ip netns exec`), joined by a veth pair to a
/// bridge on the host: the host has `10.218.N.1/24` on the bridge, member `i` (from 0) has
/// `10.218.N.(10+i)` for both its client and its peer port. Traffic between members crosses the
/// bridge (layer 2: no IP forwarding, no firewall involved); clients on the host reach every member
/// directly. ``isolate(_:)`` adds blackhole routes inside the namespaces (the cut member's routes
/// to the others, theirs to it), so that packets between them are dropped silently in both
/// directions, established connections included, while the host's address stays reachable. Only
/// `ip` (iproute2) is needed, no nftables or iptables.
///
/// Everything lives in namespaces and one bridge whose names carry this process's id;
/// ``tearDown()`` removes them, and ``make(members:)`` first removes those left behind by a test
/// process that no longer runs (killed before it could clean up).
final class PartitionableNetwork: Sendable {
    /// Whether namespaces can be made here: root and `ip`.
    static var available: Bool {
        getuid() == 0 && FileManager.default.isExecutableFile(atPath: Shell.resolve("ip"))
    }

    static let unavailable = "network namespaces need root and iproute2's ip (CI runs the etcd tests as root)"

    private static let namespacePrefix = "ett"
    private static let bridgePrefix = "etb"

    /// The third octet of `10.218.N.0/24`.
    let subnet: Int
    let memberCount: Int
    private let bridge: String
    private let pid = getpid()

    private init(subnet: Int, memberCount: Int) {
        self.subnet = subnet
        self.memberCount = memberCount
        bridge = "\(Self.bridgePrefix)\(getpid())-\(subnet)"
    }

    /// Builds the bridge and one namespace per member (numbered from 0).
    static func make(members: Int) throws -> PartitionableNetwork {
        guard available else { throw EtcdTestError(unavailable) }
        removeLeftovers()
        var failures: [String] = []
        // Another test process may pick the same subnet at the same moment: the second one's
        // `ip link add` fails, and it tries another.
        for _ in 0..<10 {
            guard let subnet = try freeSubnet() else { break }
            let network = PartitionableNetwork(subnet: subnet, memberCount: members)
            do {
                try network.build()
                return network
            } catch {
                network.tearDown()
                failures.append("\(error)")
            }
        }
        throw EtcdTestError("could not set up network namespaces: \(failures.joined(separator: "; "))")
    }

    /// Member `index`'s address (clients and peers alike).
    func address(ofMember index: Int) -> String { "10.218.\(subnet).\(10 + index)" }

    /// The namespace member `index` runs in.
    func namespace(ofMember index: Int) -> String { "\(Self.namespacePrefix)\(subnet)m\(index)-\(pid)" }

    /// `arguments` prefixed so that they run in member `index`'s namespace (`ip netns exec` execs
    /// the command in place: the process started is the command itself).
    func command(forMember index: Int, _ arguments: [String]) -> [String] {
        [Shell.resolve("ip"), "netns", "exec", namespace(ofMember: index)] + arguments
    }

    /// Cuts member `index` off from every other member (both directions); clients on the host
    /// still reach it and it still answers them.
    func isolate(_ index: Int) throws {
        for other in 0..<memberCount where other != index {
            try Shell.check(["ip", "-n", namespace(ofMember: index), "route", "replace", "blackhole", "\(address(ofMember: other))/32"])
            try Shell.check(["ip", "-n", namespace(ofMember: other), "route", "replace", "blackhole", "\(address(ofMember: index))/32"])
        }
    }

    /// Undoes ``isolate(_:)``.
    func heal(_ index: Int) throws {
        for other in 0..<memberCount where other != index {
            _ = try Shell.run(["ip", "-n", namespace(ofMember: index), "route", "del", "blackhole", "\(address(ofMember: other))/32"])
            _ = try Shell.run(["ip", "-n", namespace(ofMember: other), "route", "del", "blackhole", "\(address(ofMember: index))/32"])
        }
    }

    /// Deletes the veth pairs, the namespaces and the bridge. Idempotent.
    func tearDown() {
        for index in 0..<max(memberCount, 1) {
            // A namespace outlives `ip netns del` (with its end of the pair, and so the host's end)
            // while sockets of its dead member still retransmit into a blackhole: heal first, and
            // delete the host's end, which removes the pair at once.
            try? heal(index)
            _ = try? Shell.run(["ip", "link", "del", hostEnd(ofMember: index)])
            _ = try? Shell.run(["ip", "netns", "del", namespace(ofMember: index)])
        }
        _ = try? Shell.run(["ip", "link", "del", bridge])
    }

    /// The host's end of member `index`'s veth pair (on the bridge).
    private func hostEnd(ofMember index: Int) -> String { "etv\(subnet)m\(index)" }

    private func build() throws {
        try Shell.check(["ip", "link", "add", bridge, "type", "bridge"])
        try Shell.check(["ip", "addr", "add", "10.218.\(subnet).1/24", "dev", bridge])
        try Shell.check(["ip", "link", "set", bridge, "up"])
        for index in 0..<memberCount {
            let namespace = namespace(ofMember: index)
            let hostEnd = hostEnd(ofMember: index)
            try Shell.check(["ip", "netns", "add", namespace])
            try Shell.check(["ip", "link", "add", hostEnd, "type", "veth", "peer", "name", "eth0", "netns", namespace])
            try Shell.check(["ip", "link", "set", hostEnd, "master", bridge])
            try Shell.check(["ip", "link", "set", hostEnd, "up"])
            try Shell.check(["ip", "-n", namespace, "link", "set", "lo", "up"])
            try Shell.check(["ip", "-n", namespace, "addr", "add", "\(address(ofMember: index))/24", "dev", "eth0"])
            try Shell.check(["ip", "-n", namespace, "link", "set", "eth0", "up"])
        }
    }

    /// A `10.218.N.0/24` that no address or route of the host uses yet.
    private static func freeSubnet() throws -> Int? {
        let used = try Shell.check(["ip", "-4", "-o", "addr", "show"]) + (try Shell.check(["ip", "-4", "route", "show", "table", "all"]))
        let candidates = (0...255).filter { !used.contains("10.218.\($0).") }
        return candidates.randomElement()
    }

    /// Removes namespaces, veth pairs and bridges of test processes that have exited.
    private static func removeLeftovers() {
        func isGone(_ pid: Int32?) -> Bool {
            guard let pid else { return false }
            return kill(pid, 0) != 0 && errno == ESRCH
        }
        func linkNames(_ arguments: [String]) -> [String] {
            ((try? Shell.run(["ip", "-o", "link", "show"] + arguments))?.output ?? "").split(separator: "\n")
                .compactMap { $0.split(separator: ":").dropFirst().first?.trimmingCharacters(in: .whitespaces) }
                .map { String($0.split(separator: "@").first ?? "") }
        }
        // etb<pid>-<subnet>: the owner's pid comes first. Its ports (the host's ends of the veth
        // pairs) go before it, which removes the pairs.
        for bridge in linkNames(["type", "bridge"]) where bridge.hasPrefix(bridgePrefix) {
            guard isGone(bridge.dropFirst(bridgePrefix.count).split(separator: "-").first.flatMap({ Int32($0) })) else { continue }
            for port in linkNames(["master", bridge]) {
                _ = try? Shell.run(["ip", "link", "del", port])
            }
            _ = try? Shell.run(["ip", "link", "del", bridge])
        }
        // ett<subnet>m<index>-<pid>.
        let namespaces = ((try? Shell.run(["ip", "netns", "list"]))?.output ?? "").split(separator: "\n")
            .compactMap { $0.split(separator: " ").first.map(String.init) }
        for name in namespaces where name.hasPrefix(namespacePrefix) && isGone(name.split(separator: "-").last.flatMap({ Int32($0) })) {
            _ = try? Shell.run(["ip", "netns", "del", name])
        }
    }
}
