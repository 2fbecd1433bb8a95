import ChildProcesses
import Foundation
import Glibc
import LeaderElectionZooKeeper
import TestSupport

/// ZooKeeper servers a test starts from Debian's `zookeeper` package: one standalone server or
/// an ensemble, on free loopback ports, with a temporary data directory each, stopped afterwards.
/// With `partitionable`, each server runs in a network namespace of its own instead (see
/// ``PartitionableNetwork``), so that ``isolate(_:)`` can cut it off from the others.
final class ZooKeeperEnsemble: Sendable {
    /// The jar of Debian's package (its manifest names the libraries it needs).
    static let jar = "/usr/share/java/zookeeper.jar"
    static let java = "/usr/bin/java"

    static var available: Bool {
        FileManager.default.fileExists(atPath: jar) && FileManager.default.isExecutableFile(atPath: java)
    }

    static let missing = "ZooKeeper is not installed (needs \(jar) and \(java)); run scripts/install-test-deps.sh"

    /// The tick: short, so that sessions of a second or two are allowed (2 to 600 ticks).
    static let tickMilliseconds = 200

    struct Server: Sendable {
        let id: Int
        /// The address clients reach it at.
        let host: String
        let clientPort: Int
        let directory: String
        let process: TestProcess
    }

    let servers: [Server]
    let directory: String
    /// The namespaces the servers run in, when partitionable.
    let network: PartitionableNetwork?

    private init(servers: [Server], directory: String, network: PartitionableNetwork?) {
        self.servers = servers
        self.directory = directory
        self.network = network
    }

    /// The configuration of a backend that knows every server.
    func configuration() -> ZooKeeperConfiguration {
        configuration(of: servers)
    }

    /// The configuration of a backend that knows only `servers`.
    func configuration(of servers: [Server]) -> ZooKeeperConfiguration {
        ZooKeeperConfiguration(endpoints: servers.map { .init(host: $0.host, port: $0.clientPort) })
    }

    /// `HOST:PORT,...` of every server.
    var connectString: String { connectString(of: servers) }

    /// `HOST:PORT,...` of `servers`.
    func connectString(of servers: [Server]) -> String {
        servers.map { "\($0.host):\($0.clientPort)" }.joined(separator: ",")
    }

    /// The server's mode (`leader`, `follower`, `standalone`); throws while it does not serve.
    func mode(of server: Server) throws -> String {
        try Self.mode(host: server.host, port: server.clientPort)
    }

    /// Cuts `server` off from the other servers (see ``PartitionableNetwork/isolate(_:)``);
    /// clients still reach it. Only for an ensemble started `partitionable`.
    func isolate(_ server: Server) throws {
        guard let network else { throw TestFailure("the ensemble was not started partitionable") }
        try network.isolate(server.id)
    }

    /// Undoes ``isolate(_:)``.
    func heal(_ server: Server) throws {
        guard let network else { throw TestFailure("the ensemble was not started partitionable") }
        try network.heal(server.id)
    }

    /// Starts `count` servers, runs `body`, stops them whatever happens.
    ///
    /// - Parameters:
    ///   - partitionable: run each server in a network namespace of its own (needs root; see
    ///     ``PartitionableNetwork``); the namespaces are removed afterwards, also on failure.
    ///   - settings: extra `zoo.cfg` lines per server id (for example a lower `maxSessionTimeout`);
    ///     a later line overrides an earlier one.
    static func with<T: Sendable>(
        servers count: Int,
        partitionable: Bool = false,
        settings: [Int: [String]] = [:],
        _ body: (ZooKeeperEnsemble) async throws -> T
    ) async throws -> T {
        guard available else { throw TestFailure(missing) }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("zk-test-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let ports = try FreePort.pick(count * 3)
        var servers: [Server] = []
        var network: PartitionableNetwork?
        do {
            if partitionable { network = try PartitionableNetwork.make(nodes: 1...count, naming: .zooKeeper) }
            func address(_ id: Int) -> String { network?.address(of: id) ?? "127.0.0.1" }
            for index in 0..<count {
                let id = index + 1
                let serverDirectory = "\(directory)/server-\(id)"
                try FileManager.default.createDirectory(atPath: "\(serverDirectory)/data", withIntermediateDirectories: true)
                try "\(id)\n".write(toFile: "\(serverDirectory)/data/myid", atomically: true, encoding: .utf8)
                var config = """
                    tickTime=\(tickMilliseconds)
                    initLimit=50
                    syncLimit=25
                    dataDir=\(serverDirectory)/data
                    clientPort=\(ports[index * 3])
                    clientPortAddress=\(address(id))
                    minSessionTimeout=\(2 * tickMilliseconds)
                    maxSessionTimeout=120000
                    admin.enableServer=false
                    4lw.commands.whitelist=srvr,ruok,cons
                    snapCount=100000

                    """
                if count > 1 {
                    for other in 0..<count {
                        config += "server.\(other + 1)=\(address(other + 1)):\(ports[other * 3 + 1]):\(ports[other * 3 + 2])\n"
                    }
                }
                for line in settings[id] ?? [] { config += line + "\n" }
                try config.write(toFile: "\(serverDirectory)/zoo.cfg", atomically: true, encoding: .utf8)
                var command = [
                    java, "-Xmx192m", "-XX:+UseSerialGC", "-Dzookeeper.admin.enableServer=false", "-cp", jar,
                    "org.apache.zookeeper.server.quorum.QuorumPeerMain", "\(serverDirectory)/zoo.cfg",
                ]
                // `ip netns exec` execs java in place: the process started is the server itself.
                if let network { command = network.command(for: id, command) }
                let process = try TestProcess.start(command[0], Array(command.dropFirst()), output: "\(serverDirectory)/server.log")
                servers.append(
                    Server(id: id, host: address(id), clientPort: ports[index * 3], directory: serverDirectory, process: process))
            }
            let ensemble = ZooKeeperEnsemble(servers: servers, directory: directory, network: network)
            try await ensemble.waitUntilServing(servers)
            do {
                let result = try await body(ensemble)
                ensemble.stop()
                return result
            } catch {
                ensemble.stop()
                throw error
            }
        } catch {
            for server in servers { server.process.kill() }
            try? FileManager.default.removeItem(atPath: directory)
            network?.tearDown()
            throw error
        }
    }

    /// Kills every server and removes the data and the namespaces.
    func stop() {
        for server in servers { server.process.kill() }
        try? FileManager.default.removeItem(atPath: directory)
        network?.tearDown()
    }

    /// Waits until each of `servers` says it serves (standalone, leader or follower).
    func waitUntilServing(_ servers: [Server], timeout: Duration = .seconds(90)) async throws {
        let clock = ContinuousClock()
        let deadline = clock.now + timeout
        for server in servers {
            while (try? Self.mode(host: server.host, port: server.clientPort)) == nil {
                guard clock.now < deadline, server.process.isRunning else {
                    let log = (try? String(contentsOfFile: "\(server.directory)/server.log", encoding: .utf8)) ?? ""
                    throw TestFailure("ZooKeeper server \(server.id) did not start within \(timeout); its log ends: \(log.suffix(2000))")
                }
                try await Task.sleep(for: .milliseconds(100))
            }
        }
    }

    /// The server's mode from the `srvr` command (`standalone`, `leader`, `follower`); throws
    /// when it does not serve yet.
    static func mode(host: String = "127.0.0.1", port: Int) throws -> String {
        let text = try fourLetterWord("srvr", host: host, port: port)
        guard let line = text.split(separator: "\n").first(where: { $0.hasPrefix("Mode: ") }) else {
            throw TestFailure("not serving: \(text)")
        }
        return String(line.dropFirst("Mode: ".count))
    }

    /// Sends a four-letter command and returns the answer.
    static func fourLetterWord(_ word: String, host: String = "127.0.0.1", port: Int) throws -> String {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw TestFailure("socket failed") }
        defer { close(fd) }
        var timeout = timeval(tv_sec: 2, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr(host)
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { throw TestFailure("connect failed") }
        _ = word.withCString { send(fd, $0, strlen($0), 0) }
        var data = [UInt8]()
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = recv(fd, &buffer, buffer.count, 0)
            if count <= 0 { break }
            data += buffer[0..<count]
        }
        return String(decoding: data, as: UTF8.self)
    }
}
