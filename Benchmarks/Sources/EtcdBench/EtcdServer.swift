import BenchmarkSupport
import ChildProcesses
import Foundation
import Glibc

/// A single etcd member the benchmark starts on free loopback ports and kills at the end.
final class EtcdServer: Sendable {
    let process: BenchProcess
    let clientPort: Int
    let directory: String

    /// `127.0.0.1:PORT`.
    var endpoint: String { "127.0.0.1:\(clientPort)" }

    init(etcd: String) throws {
        // Memory-backed when possible: figures of the election, not of this machine's fsync.
        let base =
            FileManager.default.fileExists(atPath: "/dev/shm") ? URL(fileURLWithPath: "/dev/shm") : FileManager.default.temporaryDirectory
        directory = base.appendingPathComponent("etcd-bench-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let ports = try FreePort.pick(2)
        clientPort = ports[0]
        process = try BenchProcess(
            binary: etcd,
            arguments: [
                "--name", "bench", "--data-dir", "\(directory)/data",
                "--listen-client-urls", "http://127.0.0.1:\(ports[0])", "--advertise-client-urls", "http://127.0.0.1:\(ports[0])",
                "--listen-peer-urls", "http://127.0.0.1:\(ports[1])", "--initial-advertise-peer-urls", "http://127.0.0.1:\(ports[1])",
                "--initial-cluster", "bench=http://127.0.0.1:\(ports[1])", "--logger", "zap", "--log-level", "warn",
            ],
            errorPath: "\(directory)/etcd.log"
        )
        let end = ContinuousClock.now + .seconds(60)
        while ContinuousClock.now < end {
            if (try? counter("etcd_server_has_leader")) == 1 { return }
            usleep(100_000)
        }
        process.kill9()
        throw BenchError("etcd did not start within 60 s; see \(directory)/etcd.log")
    }

    /// Kills the member and removes its data.
    func stop() {
        process.kill9()
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// The member's Prometheus metrics.
    func metricsText() throws -> String {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw BenchError("socket() failed") }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = UInt16(clientPort).bigEndian
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { throw BenchError("cannot connect to etcd's metrics") }
        let request = Array("GET /metrics HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n".utf8)
        _ = request.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        var response: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = read(fd, &chunk, chunk.count)
            if count < 0, errno == EINTR { continue }
            if count <= 0 { break }
            response += chunk[..<count]
        }
        return String(decoding: response, as: UTF8.self)
    }

    /// The sum of every sample of the metric `name` whose labels contain all of `labels`.
    func counter(_ name: String, labels: [String] = []) throws -> Double {
        var total = 0.0
        for line in try metricsText().split(separator: "\n") where line.hasPrefix(name) {
            let rest = line.dropFirst(name.count)
            guard rest.first == " " || rest.first == "{" else { continue }
            guard labels.allSatisfy({ line.contains($0) }) else { continue }
            if let value = line.split(separator: " ").last.flatMap({ Double($0) }) { total += value }
        }
        return total
    }

    /// gRPC messages etcd received from clients, all methods together (unary requests and stream messages).
    func requestsReceived() throws -> Double {
        try counter("grpc_server_msg_received_total")
    }

    /// Watch events etcd sent to watchers.
    func watchEventsSent() throws -> Double {
        try counter("etcd_debugging_mvcc_events_total")
    }
}
