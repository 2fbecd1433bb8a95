import Foundation

/// Three etcd members from Debian's `etcd-server`, each in its own namespace (or on loopback
/// ports, in proxy and loopback modes), with data directories that survive a SIGKILL and a restart.
final class EtcdCluster: CoordinationCluster {
    let servers: [SupervisedProcess]
    var kind: CoordinationKind { .etcd }
    var isReplicated: Bool { true }
    var roundTripRequest: [UInt8] { RoundTrip.etcdRequest }
    private let lab: NetworkLab
    private let probe: HTTPProbe

    init(lab: NetworkLab, directory: String, token: String, probe: HTTPProbe) throws {
        self.lab = lab
        self.probe = probe
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/etcd") else {
            throw HarnessError("no /usr/bin/etcd; install Debian's etcd-server package (scripts/install-test-deps.sh does)")
        }
        let initialCluster = (1...lab.memberCount).map { index in
            let endpoint = lab.memberEndpoint(index)
            return "e\(index)=http://\(endpoint.host):\(endpoint.peer)"
        }.joined(separator: ",")
        servers = (1...lab.memberCount).map { index in
            let endpoint = lab.memberEndpoint(index)
            let client = "http://\(endpoint.host):\(endpoint.client)"
            let peer = "http://\(endpoint.host):\(endpoint.peer)"
            let arguments = lab.inMemberNamespace(
                index,
                [
                    "/usr/bin/etcd", "--name", "e\(index)", "--data-dir", "\(directory)/etcd-\(index)",
                    "--listen-client-urls", client, "--advertise-client-urls", client,
                    "--listen-peer-urls", peer, "--initial-advertise-peer-urls", peer,
                    "--initial-cluster", initialCluster, "--initial-cluster-state", "new", "--initial-cluster-token", token,
                    "--log-level", "warn",
                    // As etcd 3.5 and later do by default (3.4 does not): a member that comes back
                    // from a partition or a restart with a higher term cannot depose a healthy Raft
                    // leader. Every change of Raft leader restarts the countdown of every lease,
                    // so a dead billing leader's lease would outlive its TTL.
                    "--pre-vote",
                ])
            return SupervisedProcess(
                name: "etcd-e\(index)", arguments: arguments, environment: ["PATH": "/usr/bin:/bin"],
                logPath: "\(directory)/etcd-\(index).log"
            )
        }
    }

    /// `etcd://host:port,...`, node `index`'s coordination URL (its own proxies in proxy mode).
    func coordinationURL(forNode index: Int) -> String {
        "etcd://" + lab.coordinationEndpoints(forNode: index).map { "\($0.host):\($0.port)" }.joined(separator: ",")
    }

    var observerURL: String {
        "etcd://" + (1...lab.memberCount).map { "\(lab.memberEndpoint($0).host):\(lab.memberEndpoint($0).client)" }.joined(separator: ",")
    }

    func serverName(_ index: Int) -> String { "etcd e\(index)" }

    /// Starts every member that is down.
    func startAll() async throws {
        for member in servers where member.current == .down { try member.start() }
    }

    /// The 1-based index of the member that reports itself Raft leader, if one answers.
    func leaderIndex() async -> Int? {
        for index in 1...lab.memberCount where servers[index - 1].current != .down {
            let endpoint = lab.memberEndpoint(index)
            guard let data = await probe.get("http://\(endpoint.host):\(endpoint.client)/metrics") else { continue }
            if String(decoding: data, as: UTF8.self).split(separator: "\n").contains("etcd_server_is_leader 1") { return index }
        }
        return nil
    }
}
