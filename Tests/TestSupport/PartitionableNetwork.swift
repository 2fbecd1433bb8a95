import Foundation
import Glibc

/// Network namespaces for the nodes of a replicated store (ZooKeeper servers, etcd members), so
/// that a test can cut one node off from the others while clients on the host still reach it.
///
/// Each node runs in a namespace of its own (`ip netns exec`), joined by a veth pair to a
/// bridge on the host: the host has `PREFIX.N.1/24` on the bridge, node `i` has
/// `PREFIX.N.(10+i)` for its client and its peer ports alike (`PREFIX` and the names' prefix come
/// from ``Naming``, so that the tests of two stores can run in one process). Traffic between
/// nodes crosses the bridge (layer 2: no IP forwarding, no firewall involved); clients on the
/// host reach every server directly. ``isolate(_:)`` adds blackhole routes inside the namespaces
/// (the cut node's routes to the others, theirs to it), so that packets between them are
/// dropped silently in both directions, established connections included, while the host's
/// address stays reachable. Only `ip` (iproute2) is needed, no nftables or iptables.
///
/// Everything lives in namespaces and one bridge whose names carry this process's id;
/// ``tearDown()`` removes them, and ``make(nodes:naming:)`` first removes those left behind by a test
/// process that no longer runs (killed before it could clean up).
package final class PartitionableNetwork: Sendable {
    /// The addresses and names a store's tests use.
    package struct Naming: Sendable {
        /// The first two octets of the subnets, for example `10.217`.
        package var addressPrefix: String
        /// Two letters that begin every link and namespace name, for example `zk`.
        package var linkPrefix: String

        package init(addressPrefix: String, linkPrefix: String) {
            self.addressPrefix = addressPrefix
            self.linkPrefix = linkPrefix
        }
    }

    /// Whether namespaces can be made here: root and `ip`.
    package static var available: Bool {
        getuid() == 0 && FileManager.default.isExecutableFile(atPath: Shell.resolve("ip"))
    }

    package static let unavailable = "network namespaces need root and iproute2's ip (the partition tests run as root in CI); skipped"

    /// The third octet of `PREFIX.N.0/24`.
    package let subnet: Int
    /// The nodes' indices.
    package let nodes: ClosedRange<Int>
    private let naming: Naming
    private let bridge: String
    private let pid = getpid()

    private init(subnet: Int, nodes: ClosedRange<Int>, naming: Naming) {
        self.subnet = subnet
        self.nodes = nodes
        self.naming = naming
        bridge = "\(naming.linkPrefix)b\(getpid())-\(subnet)"
    }

    /// Builds the bridge and one namespace per node, numbered as `nodes` says.
    package static func make(nodes: ClosedRange<Int>, naming: Naming) throws -> PartitionableNetwork {
        guard available else { throw NetworkPartitionError(unavailable) }
        removeLeftovers(naming)
        var failures: [String] = []
        // Another test process may pick the same subnet at the same moment: the second one's
        // `ip link add` fails, and it tries another.
        for _ in 0..<10 {
            guard let subnet = try freeSubnet(naming) else { break }
            let network = PartitionableNetwork(subnet: subnet, nodes: nodes, naming: naming)
            do {
                try network.build()
                return network
            } catch {
                network.tearDown()
                failures.append("\(error)")
            }
        }
        throw NetworkPartitionError("could not set up network namespaces: \(failures.joined(separator: "; "))")
    }

    /// The address of the host on the bridge.
    package var hostAddress: String { "\(naming.addressPrefix).\(subnet).1" }

    /// Node `index`'s address (clients and peers alike).
    package func address(of index: Int) -> String { "\(naming.addressPrefix).\(subnet).\(10 + index)" }

    /// The namespace node `index` runs in.
    package func namespace(of index: Int) -> String { "\(naming.linkPrefix)t\(subnet)n\(index)-\(pid)" }

    /// `arguments` prefixed so that they run in node `index`'s namespace (`ip netns exec` execs
    /// the command in place: the process started is the command itself).
    package func command(for index: Int, _ arguments: [String]) -> [String] {
        [Shell.resolve("ip"), "netns", "exec", namespace(of: index)] + arguments
    }

    /// Cuts node `index` off from every other node (both directions); clients on the host still
    /// reach it and it still answers them.
    package func isolate(_ index: Int) throws {
        for other in nodes where other != index {
            try Shell.check(["ip", "-n", namespace(of: index), "route", "replace", "blackhole", "\(address(of: other))/32"])
            try Shell.check(["ip", "-n", namespace(of: other), "route", "replace", "blackhole", "\(address(of: index))/32"])
        }
    }

    /// Undoes ``isolate(_:)``.
    package func heal(_ index: Int) throws {
        for other in nodes where other != index {
            _ = try Shell.run(["ip", "-n", namespace(of: index), "route", "del", "blackhole", "\(address(of: other))/32"])
            _ = try Shell.run(["ip", "-n", namespace(of: other), "route", "del", "blackhole", "\(address(of: index))/32"])
        }
    }

    /// Deletes the veth pairs, the namespaces and the bridge. Idempotent.
    package func tearDown() {
        for index in nodes {
            // A namespace outlives `ip netns del` (with its end of the pair, and so the host's end)
            // while sockets of its dead node still retransmit into a blackhole: heal first, and
            // delete the host's end, which removes the pair at once.
            try? heal(index)
            _ = try? Shell.run(["ip", "link", "del", hostEnd(of: index)])
            _ = try? Shell.run(["ip", "netns", "del", namespace(of: index)])
        }
        _ = try? Shell.run(["ip", "link", "del", bridge])
    }

    /// The host's end of node `index`'s veth pair (on the bridge).
    private func hostEnd(of index: Int) -> String { "\(naming.linkPrefix)v\(subnet)n\(index)" }

    private func build() throws {
        try Shell.check(["ip", "link", "add", bridge, "type", "bridge"])
        try Shell.check(["ip", "addr", "add", "\(hostAddress)/24", "dev", bridge])
        try Shell.check(["ip", "link", "set", bridge, "up"])
        for index in nodes {
            let namespace = namespace(of: index)
            let hostEnd = hostEnd(of: index)
            try Shell.check(["ip", "netns", "add", namespace])
            try Shell.check(["ip", "link", "add", hostEnd, "type", "veth", "peer", "name", "eth0", "netns", namespace])
            try Shell.check(["ip", "link", "set", hostEnd, "master", bridge])
            try Shell.check(["ip", "link", "set", hostEnd, "up"])
            try Shell.check(["ip", "-n", namespace, "link", "set", "lo", "up"])
            try Shell.check(["ip", "-n", namespace, "addr", "add", "\(address(of: index))/24", "dev", "eth0"])
            try Shell.check(["ip", "-n", namespace, "link", "set", "eth0", "up"])
        }
    }

    /// A `PREFIX.N.0/24` that no address or route of the host uses yet.
    private static func freeSubnet(_ naming: Naming) throws -> Int? {
        let used = try Shell.check(["ip", "-4", "-o", "addr", "show"]) + (try Shell.check(["ip", "-4", "route", "show", "table", "all"]))
        let candidates = (0...255).filter { !used.contains("\(naming.addressPrefix).\($0).") }
        return candidates.randomElement()
    }

    /// Removes namespaces, veth pairs and bridges of test processes that have exited.
    private static func removeLeftovers(_ naming: Naming) {
        let bridgePrefix = "\(naming.linkPrefix)b"
        let namespacePrefix = "\(naming.linkPrefix)t"
        func isGone(_ pid: Int32?) -> Bool {
            guard let pid else { return false }
            return kill(pid, 0) != 0 && errno == ESRCH
        }
        func linkNames(_ arguments: [String]) -> [String] {
            ((try? Shell.run(["ip", "-o", "link", "show"] + arguments))?.output ?? "").split(separator: "\n")
                .compactMap { $0.split(separator: ":").dropFirst().first?.trimmingCharacters(in: .whitespaces) }
                .map { String($0.split(separator: "@").first ?? "") }
        }
        // <prefix>b<pid>-<subnet>: the owner's pid comes first. Its ports (the host's ends of the veth
        // pairs) go before it, which removes the pairs.
        for bridge in linkNames(["type", "bridge"]) where bridge.hasPrefix(bridgePrefix) {
            guard isGone(bridge.dropFirst(bridgePrefix.count).split(separator: "-").first.flatMap({ Int32($0) })) else { continue }
            for port in linkNames(["master", bridge]) {
                _ = try? Shell.run(["ip", "link", "del", port])
            }
            _ = try? Shell.run(["ip", "link", "del", bridge])
        }
        // <prefix>t<subnet>n<index>-<pid>.
        let namespaces = ((try? Shell.run(["ip", "netns", "list"]))?.output ?? "").split(separator: "\n")
            .compactMap { $0.split(separator: " ").first.map(String.init) }
        for name in namespaces where name.hasPrefix(namespacePrefix) && isGone(name.split(separator: "-").last.flatMap({ Int32($0) })) {
            _ = try? Shell.run(["ip", "netns", "del", name])
        }
    }
}
