import Glibc

/// A request and its first answer byte over a fresh TCP connection, with a deadline: how the
/// proxy mode confirms a cut. A bare connect proves nothing there (the proxy accepts even while
/// cut), but an answer has to cross the link both ways.
enum RoundTrip {
    /// etcd's client port answers plain HTTP too.
    static let etcdRequest = Array("GET /version HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".utf8)
    /// PostgreSQL's SSLRequest (length 8, code 80877103), which the server answers with one byte.
    static let postgresRequest: [UInt8] = [0, 0, 0, 8, 0x04, 0xD2, 0x16, 0x2F]

    /// Whether `request` sent to `127.0.0.1:port` gets at least one byte back within `timeout`.
    static func succeeds(port: Int, request: [UInt8], timeout: Duration = .seconds(1)) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        let (seconds, attoseconds) = timeout.components
        var limit = timeval(tv_sec: Int(seconds), tv_usec: Int(attoseconds / 1_000_000_000_000))
        // On Linux the send timeout bounds connect() as well.
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = UInt16(port).bigEndian
        let connected = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { return false }
        let sent = request.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        guard sent == request.count else { return false }
        var answer = [UInt8](repeating: 0, count: 64)
        return answer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) } > 0
    }
}
