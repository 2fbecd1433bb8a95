import Glibc

/// Free loopback TCP ports, found by asking the kernel: bind a socket to 127.0.0.1 port 0 and
/// read the port it chose.
///
/// The port is free when picked, not reserved: another process may take it before the caller
/// binds it (good enough for tests and local clusters).
public enum FreePort {
    /// One free port on 127.0.0.1.
    public static func pick() throws(FreePortError) -> Int {
        try pick(1)[0]
    }

    /// `count` distinct free ports on 127.0.0.1. Every socket stays bound until all are picked, so
    /// that the kernel cannot hand out one port twice.
    public static func pick(_ count: Int) throws(FreePortError) -> [Int] {
        var sockets: [Int32] = []
        defer { sockets.forEach { _ = close($0) } }
        var ports: [Int] = []
        for _ in 0..<count {
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            guard fd >= 0 else { throw FreePortError(code: errno) }
            sockets.append(fd)
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            address.sin_port = 0
            var length = socklen_t(MemoryLayout<sockaddr_in>.size)
            let bound = withUnsafeMutablePointer(to: &address) { pointer in
                pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { socketAddress -> Int32 in
                    guard bind(fd, socketAddress, length) == 0 else { return -1 }
                    return getsockname(fd, socketAddress, &length)
                }
            }
            guard bound == 0 else { throw FreePortError(code: errno) }
            ports.append(Int(UInt16(bigEndian: address.sin_port)))
        }
        return ports
    }
}
