import Foundation
import Glibc
import Synchronization
import TestSupport

/// A TCP proxy in front of one ZooKeeper server that can lose the answer to a candidacy's create:
/// the request reaches the server (so the znode exists), its answer is swallowed, and the client's
/// connection is then closed, as when a connection breaks at the worst moment.
///
/// It reads ZooKeeper's framing (a 4-byte length before each message) to find that request and
/// its answer; everything else passes unchanged. Blocking sockets, two threads per connection.
final class AnswerDroppingProxy: Sendable {
    /// The port clients connect to, on 127.0.0.1.
    let port: Int
    private let listener: Int32
    private let upstreamHost: String
    private let upstreamPort: Int

    private struct State {
        var armed = false
        var lostAnswers = 0
        var closed = false
        var nextLink = 0
        /// Per connection: the xid of the request whose answer is to be swallowed.
        var swallow: [Int: Int32] = [:]
        var links: [Int: (client: Int32, server: Int32)] = [:]
    }

    private let state = Mutex(State())

    private init(port: Int, listener: Int32, upstreamHost: String, upstreamPort: Int) {
        self.port = port
        self.listener = listener
        self.upstreamHost = upstreamHost
        self.upstreamPort = upstreamPort
    }

    /// Listens on a free port of 127.0.0.1 and forwards every connection to `host:port`.
    static func start(host: String, port: Int) throws -> AnswerDroppingProxy {
        let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard listener >= 0 else { throw TestFailure("socket failed") }
        var one: Int32 = 1
        setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var address = Self.address("127.0.0.1", 0)
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { socketAddress -> Int32 in
                guard bind(listener, socketAddress, length) == 0, listen(listener, 16) == 0 else { return -1 }
                return getsockname(listener, socketAddress, &length)
            }
        }
        guard bound == 0 else {
            Glibc.close(listener)
            throw TestFailure("cannot listen on 127.0.0.1: \(String(cString: strerror(errno)))")
        }
        let proxy = AnswerDroppingProxy(
            port: Int(UInt16(bigEndian: address.sin_port)), listener: listener, upstreamHost: host, upstreamPort: port)
        Thread.detachNewThread { proxy.acceptLoop() }
        return proxy
    }

    /// Makes the proxy swallow the answer to the next successful create of an ephemeral
    /// sequential znode (a candidacy) and then close that connection.
    func loseNextCandidacyAnswer() {
        state.withLock { $0.armed = true }
    }

    /// How many answers were swallowed so far.
    var lostAnswers: Int { state.withLock { $0.lostAnswers } }

    /// Stops listening and closes every connection.
    func close() {
        let links = state.withLock { state -> [(client: Int32, server: Int32)] in
            state.closed = true
            return Array(state.links.values)
        }
        shutdown(listener, Int32(SHUT_RDWR))
        for link in links {
            shutdown(link.client, Int32(SHUT_RDWR))
            shutdown(link.server, Int32(SHUT_RDWR))
        }
    }

    private func acceptLoop() {
        defer { Glibc.close(listener) }
        while true {
            let client = accept(listener, nil, nil)
            guard client >= 0 else {
                if errno == EINTR { continue }
                return
            }
            let server = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            var address = Self.address(upstreamHost, upstreamPort)
            let connected = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(server, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            let id = state.withLock { state -> Int? in
                guard !state.closed, connected == 0 else { return nil }
                state.nextLink += 1
                state.links[state.nextLink] = (client, server)
                return state.nextLink
            }
            guard let id else {
                Glibc.close(client)
                Glibc.close(server)
                continue
            }
            let finished = Mutex(0)
            let end: @Sendable () -> Void = {
                shutdown(client, Int32(SHUT_RDWR))
                shutdown(server, Int32(SHUT_RDWR))
                // The second pump to stop closes both descriptors, so neither is reused under the other.
                let last = finished.withLock { count -> Bool in
                    count += 1
                    return count == 2
                }
                if last {
                    self.state.withLock { _ = $0.links.removeValue(forKey: id) }
                    Glibc.close(client)
                    Glibc.close(server)
                }
            }
            Thread.detachNewThread {
                self.pumpRequests(link: id, from: client, to: server)
                end()
            }
            Thread.detachNewThread {
                self.pumpAnswers(link: id, from: server, to: client)
                end()
            }
        }
    }

    /// Client to server: notes the xid of an armed candidacy create.
    private func pumpRequests(link: Int, from client: Int32, to server: Int32) {
        var first = true
        while let frame = Self.readFrame(client) {
            defer { first = false }
            // After the handshake: xid, opcode, then the body; a create's body ends with its flags.
            if !first, frame.count >= 12 {
                let xid = Self.int32(frame, at: 4)
                let opcode = Self.int32(frame, at: 8)
                let flags = Self.int32(frame, at: frame.count - 4)
                if opcode == 1 || opcode == 15, flags == 3 {
                    state.withLock { state in
                        if state.armed {
                            state.armed = false
                            state.swallow[link] = xid
                        }
                    }
                }
            }
            guard Self.writeAll(server, frame) else { return }
        }
    }

    /// Server to client: swallows the armed answer, then ends the connection.
    private func pumpAnswers(link: Int, from server: Int32, to client: Int32) {
        var first = true
        while let frame = Self.readFrame(server) {
            defer { first = false }
            // After the handshake: xid, zxid, error code, then the body.
            if !first, frame.count >= 20 {
                let xid = Self.int32(frame, at: 4)
                let error = Self.int32(frame, at: 16)
                let swallowed = state.withLock { state -> Bool in
                    guard state.swallow[link] == xid else { return false }
                    state.swallow[link] = nil
                    // A create that failed (its parent does not exist yet) is passed on; the next
                    // one is the target.
                    guard error == 0 else {
                        state.armed = true
                        return false
                    }
                    state.lostAnswers += 1
                    return true
                }
                if swallowed { return }
            }
            guard Self.writeAll(client, frame) else { return }
        }
    }

    /// One length-prefixed message, prefix included; nil at the end of the stream.
    private static func readFrame(_ fd: Int32) -> [UInt8]? {
        guard let header = readExactly(fd, 4) else { return nil }
        let length = Int(int32(header, at: 0))
        guard length >= 0, length < 64 << 20, let body = readExactly(fd, length) else { return nil }
        return header + body
    }

    private static func readExactly(_ fd: Int32, _ count: Int) -> [UInt8]? {
        var bytes = [UInt8](repeating: 0, count: count)
        var done = 0
        while done < count {
            let read = bytes.withUnsafeMutableBytes { recv(fd, $0.baseAddress! + done, count - done, 0) }
            if read < 0, errno == EINTR { continue }
            guard read > 0 else { return nil }
            done += read
        }
        return bytes
    }

    private static func writeAll(_ fd: Int32, _ bytes: [UInt8]) -> Bool {
        var done = 0
        while done < bytes.count {
            let written = bytes.withUnsafeBytes { send(fd, $0.baseAddress! + done, bytes.count - done, Int32(MSG_NOSIGNAL)) }
            if written < 0, errno == EINTR { continue }
            guard written > 0 else { return false }
            done += written
        }
        return true
    }

    private static func int32(_ bytes: [UInt8], at offset: Int) -> Int32 {
        Int32(
            bitPattern: UInt32(bytes[offset]) << 24 | UInt32(bytes[offset + 1]) << 16 | UInt32(bytes[offset + 2]) << 8
                | UInt32(bytes[offset + 3]))
    }

    private static func address(_ host: String, _ port: Int) -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr(host)
        return address
    }
}
