import Foundation
import Glibc
import LeaderElectionEtcd
import Synchronization
import TestSupport

/// A loopback TCP proxy in front of one plaintext etcd member that can hold back what either side
/// sends, frame by HTTP/2 frame, and let it through later, in order: a late answer (or a late
/// request) made on demand.
///
/// gRPC runs every call of a client over one HTTP/2 connection, so holding one direction delays
/// everything in flight that way. The proxy understands just enough HTTP/2 to count messages: each
/// direction of a connection is a sequence of frames (9-byte header, then the payload; the client
/// starts with a 24-byte preface), and each gRPC message travels in a `DATA` frame. So a test can
/// wait until the member *has* answered (``waitForHeld(_:_:timeout:)``) and let through exactly the
/// first answers (``release(_:messages:)``), keeping the later ones.
///
/// Plain blocking sockets on threads of their own: the proxy does not compete with the client under
/// test for Swift's cooperative threads, and its timing does not depend on them.
final class HoldingProxy: Sendable {
    /// Which way frames go.
    enum Direction: Sendable {
        /// Client to member: requests.
        case toMember
        /// Member to client: answers.
        case fromMember
    }

    /// One relayed connection: the client's socket and the one to the member.
    private final class Connection: Sendable {
        let client: Int32
        let upstream: Int32
        /// Pumps still running; the sockets are closed by the last one to stop, so that no thread
        /// ever reads or writes a descriptor number the kernel has handed out again.
        private let running = Mutex(2)

        init(client: Int32, upstream: Int32) {
            self.client = client
            self.upstream = upstream
        }

        func source(_ direction: Direction) -> Int32 { direction == .toMember ? client : upstream }
        func destination(_ direction: Direction) -> Int32 { direction == .toMember ? upstream : client }

        /// Ends both directions; the pumps see end of file and stop.
        func shut() {
            shutdown(client, Int32(SHUT_RDWR))
            shutdown(upstream, Int32(SHUT_RDWR))
        }

        func pumpStopped() {
            let last = running.withLock { count -> Bool in
                count -= 1
                return count == 0
            }
            if last {
                close(client)
                close(upstream)
            }
        }
    }

    private struct HeldFrame {
        let connection: Connection
        let direction: Direction
        let bytes: [UInt8]
        /// A non-empty `DATA` frame: a gRPC message.
        var isMessage: Bool { bytes[3] == 0 && bytes.count > 9 }
        /// It carries `END_STREAM` (flag 0x1 of DATA and HEADERS frames): the call's last frame
        /// that way (a unary answer's trailers).
        var endsCall: Bool { bytes[3] <= 1 && bytes[4] & 0x1 != 0 }
    }

    private struct State {
        var holding: Set<Direction> = []
        /// Frames not yet passed on, per direction, in arrival order.
        var held: [Direction: [HeldFrame]] = [:]
        var connections: [ObjectIdentifier: Connection] = [:]
        var stopped = false
    }

    /// The port clients connect to (127.0.0.1).
    let port: Int
    private let upstreamHost: String
    private let upstreamPort: Int
    private let listener: Int32
    private let state = Mutex(State())

    private init(port: Int, upstreamHost: String, upstreamPort: Int, listener: Int32) {
        self.port = port
        self.upstreamHost = upstreamHost
        self.upstreamPort = upstreamPort
        self.listener = listener
    }

    /// The proxy's address as an etcd endpoint.
    var endpoint: EtcdConfiguration.Endpoint { .init(host: "127.0.0.1", port: port) }

    /// Listens on a free port of 127.0.0.1 (bound at port 0, so that nothing can take it first) and
    /// relays each connection to `upstreamHost:upstreamPort` (an IPv4 address).
    static func start(upstreamHost: String = "127.0.0.1", upstreamPort: Int) throws -> HoldingProxy {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw TestFailure("proxy: socket failed: errno \(errno)") }
        var address = ipv4(host: "127.0.0.1", port: 0)
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { socketAddress -> Int32 in
                guard bind(fd, socketAddress, length) == 0, listen(fd, 16) == 0 else { return -1 }
                return getsockname(fd, socketAddress, &length)
            }
        }
        guard bound == 0 else {
            close(fd)
            throw TestFailure("proxy: cannot listen on 127.0.0.1: errno \(errno)")
        }
        let proxy = HoldingProxy(
            port: Int(UInt16(bigEndian: address.sin_port)), upstreamHost: upstreamHost, upstreamPort: upstreamPort, listener: fd)
        Thread { proxy.acceptLoop() }.start()
        return proxy
    }

    private static func ipv4(host: String, port: Int) -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr(host)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        return address
    }

    private func acceptLoop() {
        defer { close(listener) }
        while true {
            let client = accept(listener, nil, nil)
            guard client >= 0 else {
                if errno == EINTR { continue }
                return  // Shut down by stop().
            }
            let upstream = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            var address = Self.ipv4(host: upstreamHost, port: upstreamPort)
            let connected = withUnsafePointer(to: &address) { pointer in
                pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    connect(upstream, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
            guard upstream >= 0, connected == 0 else {
                if upstream >= 0 { close(upstream) }
                close(client)
                continue
            }
            var one: Int32 = 1
            for fd in [client, upstream] {
                setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
            }
            let connection = Connection(client: client, upstream: upstream)
            let accepted = state.withLock { state -> Bool in
                guard !state.stopped else { return false }
                state.connections[ObjectIdentifier(connection)] = connection
                return true
            }
            guard accepted else {
                close(client)
                close(upstream)
                return
            }
            Thread { self.pump(connection, .toMember) }.start()
            Thread { self.pump(connection, .fromMember) }.start()
        }
    }

    /// Relays one direction of `connection`, cut into frames, each passed on at once unless that
    /// direction holds frames.
    private func pump(_ connection: Connection, _ direction: Direction) {
        var buffer = [UInt8](repeating: 0, count: 65536)
        var pending: [UInt8] = []
        // The client's connection preface is not a frame: passed on as it is.
        var preface = direction == .toMember ? 24 : 0
        reading: while true {
            let count = buffer.withUnsafeMutableBytes { recv(connection.source(direction), $0.baseAddress, $0.count, 0) }
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else { break }
            pending += buffer[0..<count]
            if preface > 0 {
                let part = min(preface, pending.count)
                guard Self.send(connection.destination(direction), pending[0..<part]) else { break }
                pending.removeFirst(part)
                preface -= part
            }
            while pending.count >= 9 {
                let length = Int(pending[0]) << 16 | Int(pending[1]) << 8 | Int(pending[2])
                guard pending.count >= 9 + length else { break }
                let frame = HeldFrame(connection: connection, direction: direction, bytes: Array(pending[0..<(9 + length)]))
                pending.removeFirst(9 + length)
                let passed = state.withLock { state -> Bool in
                    if state.holding.contains(direction) || !(state.held[direction] ?? []).isEmpty {
                        state.held[direction, default: []].append(frame)
                        return true
                    }
                    // Written under the lock, so that a release cannot overtake it.
                    return Self.send(connection.destination(direction), frame.bytes[...])
                }
                if !passed { break reading }
            }
        }
        connection.shut()
        connection.pumpStopped()
        state.withLock { state in
            _ = state.connections.removeValue(forKey: ObjectIdentifier(connection))
        }
    }

    private static func send(_ fd: Int32, _ bytes: ArraySlice<UInt8>) -> Bool {
        var offset = bytes.startIndex
        while offset < bytes.endIndex {
            // MSG_NOSIGNAL: a closed peer must be an error here, not a SIGPIPE for the test process.
            let sent = bytes[offset...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if sent < 0 && errno == EINTR { continue }
            guard sent > 0 else { return false }
            offset += sent
        }
        return true
    }

    private static func pass(_ frame: HeldFrame) {
        if !send(frame.connection.destination(frame.direction), frame.bytes[...]) { frame.connection.shut() }
    }

    /// From now on, frames going `direction` are kept back until released.
    func hold(_ direction: Direction = .fromMember) {
        state.withLock { _ = $0.holding.insert(direction) }
    }

    /// The gRPC messages (non-empty `DATA` frames) held now going `direction`.
    func heldMessages(_ direction: Direction = .fromMember) -> Int {
        state.withLock { ($0.held[direction] ?? []).filter(\.isMessage).count }
    }

    /// The frames held now going `direction`.
    func heldFrames(_ direction: Direction = .fromMember) -> Int {
        state.withLock { $0.held[direction]?.count ?? 0 }
    }

    /// The held frames going `direction` that end a call that way (for a unary answer: it is complete).
    func heldCallEnds(_ direction: Direction = .fromMember) -> Int {
        state.withLock { ($0.held[direction] ?? []).filter(\.endsCall).count }
    }

    /// Waits until at least `count` messages going `direction` are held.
    func waitForHeld(_ count: Int, _ direction: Direction = .fromMember, timeout: Duration = .seconds(30)) async throws {
        try await waitUntil(timeout: timeout) { self.heldMessages(direction) >= count }
    }

    /// Waits until at least `count` held frames going `direction` end a call.
    func waitForHeldCallEnds(_ count: Int, _ direction: Direction = .fromMember, timeout: Duration = .seconds(30)) async throws {
        try await waitUntil(timeout: timeout) { self.heldCallEnds(direction) >= count }
    }

    /// Passes on the held frames going `direction` up to and including the `messages`-th held
    /// message, in order; later frames stay held (and so do new ones while holding).
    func release(_ direction: Direction = .fromMember, messages: Int) {
        state.withLock { state in
            var seen = 0
            while seen < messages, let frame = state.held[direction]?.first {
                state.held[direction]?.removeFirst()
                if frame.isMessage { seen += 1 }
                Self.pass(frame)
            }
        }
    }

    /// Passes on the first `frames` held frames going `direction`, in order; the rest stay held.
    func release(_ direction: Direction = .fromMember, frames: Int) {
        state.withLock { state in
            for _ in 0..<frames {
                guard let frame = state.held[direction]?.first else { return }
                state.held[direction]?.removeFirst()
                Self.pass(frame)
            }
        }
    }

    /// Passes on everything held and stops holding, both ways.
    func resume() {
        state.withLock { state in
            state.holding = []
            for frame in state.held.values.joined() { Self.pass(frame) }
            state.held = [:]
        }
    }

    /// Closes every open connection; what was held for them is thrown away: their answers (and
    /// requests) are lost. Holding stops; new connections pass.
    func cutConnections() {
        let connections = state.withLock { state -> [Connection] in
            state.holding = []
            state.held = [:]
            return Array(state.connections.values)
        }
        for connection in connections { connection.shut() }
    }

    /// Stops listening and closes every connection.
    func stop() {
        state.withLock { $0.stopped = true }
        shutdown(listener, Int32(SHUT_RDWR))
        cutConnections()
    }
}
