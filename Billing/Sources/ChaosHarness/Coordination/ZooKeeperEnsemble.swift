import Foundation
import Glibc

/// Three ZooKeeper servers from Debian's `zookeeper` package, each in its own namespace (or on
/// loopback ports, in proxy and loopback modes), with data directories that survive a SIGKILL and
/// a restart.
///
/// The tick is 200 ms, so that the nodes' 2 s sessions are allowed, and `syncLimit` is 25 ticks
/// (5 s), as in the backend's own tests: a server cut off from its peers keeps answering its
/// clients' pings that long, which is the window the `renew-by-ping` control falls into.
final class ZooKeeperEnsemble: CoordinationCluster {
    static let jar = "/usr/share/java/zookeeper.jar"
    static let java = "/usr/bin/java"

    let servers: [SupervisedProcess]
    var kind: CoordinationKind { .zookeeper }
    var isReplicated: Bool { true }
    var roundTripRequest: [UInt8] { RoundTrip.zooKeeperRequest }
    private let lab: NetworkLab

    init(lab: NetworkLab, directory: String) throws {
        self.lab = lab
        guard FileManager.default.fileExists(atPath: Self.jar), FileManager.default.isExecutableFile(atPath: Self.java) else {
            throw HarnessError(
                "no ZooKeeper (\(Self.jar) and \(Self.java)); install Debian's zookeeper package (scripts/install-test-deps.sh does)")
        }
        let members = 1...lab.memberCount
        servers = try members.map { id in
            let endpoint = lab.memberEndpoint(id)
            let serverDirectory = "\(directory)/zookeeper-\(id)"
            try FileManager.default.createDirectory(atPath: "\(serverDirectory)/data", withIntermediateDirectories: true)
            try "\(id)\n".write(toFile: "\(serverDirectory)/data/myid", atomically: true, encoding: .utf8)
            var config = """
                tickTime=200
                initLimit=50
                syncLimit=25
                dataDir=\(serverDirectory)/data
                clientPort=\(endpoint.client)
                clientPortAddress=\(endpoint.host)
                minSessionTimeout=400
                maxSessionTimeout=120000
                admin.enableServer=false
                4lw.commands.whitelist=srvr,ruok,cons
                snapCount=100000

                """
            for other in members {
                let peer = lab.memberEndpoint(other)
                config += "server.\(other)=\(peer.host):\(peer.peer):\(peer.election)\n"
            }
            try config.write(toFile: "\(serverDirectory)/zoo.cfg", atomically: true, encoding: .utf8)
            let command = [
                Self.java, "-Xmx192m", "-XX:+UseSerialGC", "-Dzookeeper.admin.enableServer=false", "-cp", Self.jar,
                "org.apache.zookeeper.server.quorum.QuorumPeerMain", "\(serverDirectory)/zoo.cfg",
            ]
            return SupervisedProcess(
                name: "zookeeper-z\(id)", arguments: lab.inMemberNamespace(id, command), environment: ["PATH": "/usr/bin:/bin"],
                logPath: "\(directory)/zookeeper-\(id).log")
        }
    }

    func coordinationURL(forNode index: Int) -> String {
        "zookeeper://" + lab.coordinationEndpoints(forNode: index).map { "\($0.host):\($0.port)" }.joined(separator: ",")
    }

    var observerURL: String {
        "zookeeper://"
            + (1...lab.memberCount).map { "\(lab.memberEndpoint($0).host):\(lab.memberEndpoint($0).client)" }.joined(separator: ",")
    }

    func serverName(_ index: Int) -> String { "zookeeper z\(index)" }

    func startAll() async throws {
        for server in servers where server.current == .down { try server.start() }
    }

    /// The server whose `srvr` says `Mode: leader`.
    func leaderIndex() async -> Int? {
        for index in 1...lab.memberCount where servers[index - 1].isRunning {
            let endpoint = lab.memberEndpoint(index)
            if Self.fourLetterWord("srvr", host: endpoint.host, port: endpoint.client)?.contains("Mode: leader") == true { return index }
        }
        return nil
    }

    /// The server whose `cons` lists the session `lease`.
    func serverHolding(lease: Int64) async -> Int? {
        let session = "sid=0x" + String(UInt64(bitPattern: lease), radix: 16)
        for index in 1...lab.memberCount where servers[index - 1].isRunning {
            let endpoint = lab.memberEndpoint(index)
            if Self.fourLetterWord("cons", host: endpoint.host, port: endpoint.client)?.contains(session) == true { return index }
        }
        return nil
    }

    /// Sends a four-letter command and returns the answer; nil when the server does not answer within a second.
    static func fourLetterWord(_ word: String, host: String, port: Int) -> String? {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var timeout = timeval(tv_sec: 1, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr(host)
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { return nil }
        _ = word.withCString { send(fd, $0, strlen($0), Int32(MSG_NOSIGNAL)) }
        var data = [UInt8]()
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = recv(fd, &buffer, buffer.count, 0)
            if count <= 0 { break }
            data += buffer[0..<count]
        }
        return data.isEmpty ? nil : String(decoding: data, as: UTF8.self)
    }
}
