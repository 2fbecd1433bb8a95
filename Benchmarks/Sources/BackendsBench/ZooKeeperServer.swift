import BenchmarkSupport
import ChildProcesses
import Foundation
import Glibc

/// A standalone ZooKeeper server the benchmark starts from Debian's jars, with its data in a
/// temporary directory (in /dev/shm when there is one, so that disk syncs do not dominate).
final class ZooKeeperServer: Sendable {
    let endpoint: String
    let directory: String
    let process: BenchProcess

    init() throws {
        let jar = "/usr/share/java/zookeeper.jar"
        guard FileManager.default.fileExists(atPath: jar), FileManager.default.isExecutableFile(atPath: "/usr/bin/java") else {
            throw BenchError("backends-bench needs ZooKeeper: apt-get install -y zookeeper")
        }
        let base = FileManager.default.fileExists(atPath: "/dev/shm") ? "/dev/shm" : NSTemporaryDirectory()
        directory = "\(base)/backends-bench-zk-\(getpid())"
        try FileManager.default.createDirectory(atPath: "\(directory)/data", withIntermediateDirectories: true)
        let port = try FreePort.pick()
        endpoint = "127.0.0.1:\(port)"
        try """
        tickTime=200
        dataDir=\(directory)/data
        clientPort=\(port)
        clientPortAddress=127.0.0.1
        minSessionTimeout=400
        maxSessionTimeout=120000
        admin.enableServer=false
        4lw.commands.whitelist=srvr

        """.write(toFile: "\(directory)/zoo.cfg", atomically: true, encoding: .utf8)
        process = try BenchProcess(
            binary: "/usr/bin/java",
            arguments: [
                "-Xmx256m", "-Dzookeeper.admin.enableServer=false", "-cp", jar,
                "org.apache.zookeeper.server.quorum.QuorumPeerMain", "\(directory)/zoo.cfg",
            ],
            errorPath: "\(directory)/server.log"
        )
    }

    /// Waits until the server answers `srvr`.
    func waitUntilServing() async throws {
        let end = ContinuousClock.now + .seconds(60)
        while ContinuousClock.now < end {
            if let answer = try? Self.srvr(port: Int(endpoint.split(separator: ":")[1])!), answer.contains("Mode:") { return }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw BenchError("ZooKeeper did not start within 60 s; see \(directory)/server.log")
    }

    func stop() {
        process.kill9()
        try? FileManager.default.removeItem(atPath: directory)
    }

    private static func srvr(port: Int) throws -> String {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { throw BenchError("not listening") }
        _ = "srvr".withCString { send(fd, $0, 4, 0) }
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
