import Glibc

/// A request and its first answer byte over a fresh TCP connection, with a deadline: how the
/// proxy mode confirms a cut. A bare connect proves nothing there (the proxy accepts even while
/// cut), but an answer has to cross the link both ways.
enum RoundTrip {
    /// etcd's client port answers plain HTTP too.
    static let etcdRequest = Array("GET /version HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".utf8)
    /// ZooKeeper's four-letter word `ruok`, answered `imok` (it must be whitelisted).
    static let zooKeeperRequest = Array("ruok".utf8)
    /// PostgreSQL's SSLRequest (length 8, code 80877103), which the server answers with one byte.
    static let postgresRequest: [UInt8] = [0, 0, 0, 8, 0x04, 0xD2, 0x16, 0x2F]

    /// Whether `request` sent to `127.0.0.1:port` gets at least one byte back within `timeout`.
    static func succeeds(port: Int, request: [UInt8], timeout: Duration = .seconds(1)) -> Bool {
        guard let fd = LoopbackSocket.connect(port: port, timeout: timeout) else { return false }
        defer { close(fd) }
        let sent = request.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        guard sent == request.count else { return false }
        var answer = [UInt8](repeating: 0, count: 64)
        return answer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) } > 0
    }
}
