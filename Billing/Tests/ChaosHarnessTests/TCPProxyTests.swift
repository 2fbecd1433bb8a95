import ChildProcesses
import Glibc
import NIOCore
import NIOPosix
import Synchronization
import Testing

@testable import ChaosHarness

/// The loopback proxy against a real echo server: bytes pass both ways; a cut passes nothing in
/// either direction, closes nothing and lets no new connection through; a heal closes what was
/// held and lets new connections through again. Every wait is for an event (bytes arriving, the
/// proxy's drop counter, a close), with a generous timeout.
@Suite struct TCPProxyTests {
    @Test func relaysBothWays() async throws {
        let server = try await EchoServer.start()
        let proxy = try await TCPProxy.start(name: "test", upstreamHost: "127.0.0.1", upstreamPort: server.port)
        defer { proxy.close(); server.close() }

        let client = try TestClient(port: proxy.port)
        try client.send("hello")
        #expect(client.receive(5) == "hello")
        try await server.push("pushed")
        #expect(client.receive(6) == "pushed")
        #expect(RoundTrip.succeeds(port: proxy.port, request: Array("ping".utf8), timeout: .seconds(10)))
        #expect(proxy.droppedBytes == 0)
    }

    @Test func anImpairedLinkDelaysEachWayButKeepsEveryByteInOrder() async throws {
        let server = try await EchoServer.start()
        let proxy = try await TCPProxy.start(name: "test", upstreamHost: "127.0.0.1", upstreamPort: server.port)
        defer { proxy.close(); server.close() }
        let client = try TestClient(port: proxy.port)
        try client.send("warm")
        #expect(client.receive(4) == "warm")

        proxy.impair(LinkImpairment(latency: .milliseconds(100), lossRate: 0.5, retransmission: .milliseconds(100)))
        let clock = ContinuousClock()
        let start = clock.now
        for chunk in ["a", "b", "c", "d", "e", "f"] { try client.send(chunk) }
        #expect(client.receive(6) == "abcdef")
        // 100 ms on the way there and 100 ms on the way back, at the least.
        #expect(clock.now - start >= .milliseconds(200))
        #expect(proxy.droppedBytes == 0)

        proxy.impair(nil)
        try client.send("quick")
        #expect(client.receive(5) == "quick")
    }

    @Test func cutBlackholesBothDirectionsAndNewConnections() async throws {
        let server = try await EchoServer.start()
        let proxy = try await TCPProxy.start(name: "test", upstreamHost: "127.0.0.1", upstreamPort: server.port)
        defer { proxy.close(); server.close() }
        let client = try TestClient(port: proxy.port)
        try client.send("ready")
        #expect(client.receive(5) == "ready")
        let receivedBefore = server.receivedBytes
        let acceptedBefore = server.acceptedCount

        proxy.cut()
        #expect(proxy.isCut)
        #expect(proxy.heldConnections == 1)

        // Client to server: the proxy reads the bytes and throws them away.
        try client.send("lost")
        #expect(await eventually { proxy.droppedBytes == 4 })
        #expect(server.receivedBytes == receivedBefore)

        // Server to client: the same.
        try await server.push("back")
        #expect(await eventually { proxy.droppedBytes == 8 })
        #expect(client.hasNothingToRead())

        // A new connection is accepted but never reaches the server.
        let late = try TestClient(port: proxy.port)
        try late.send("new!")
        #expect(await eventually { proxy.droppedBytes == 12 })
        #expect(server.acceptedCount == acceptedBefore)
        #expect(late.hasNothingToRead())
        #expect(proxy.heldConnections == 2)
        #expect(!RoundTrip.succeeds(port: proxy.port, request: Array("ping".utf8), timeout: .milliseconds(300)))
    }

    @Test func healClosesHeldConnectionsAndPassesNewOnes() async throws {
        let server = try await EchoServer.start()
        let proxy = try await TCPProxy.start(name: "test", upstreamHost: "127.0.0.1", upstreamPort: server.port)
        defer { proxy.close(); server.close() }
        let before = try TestClient(port: proxy.port)
        try before.send("ready")
        #expect(before.receive(5) == "ready")
        proxy.cut()
        let during = try TestClient(port: proxy.port)
        try during.send("held")
        #expect(await eventually { proxy.droppedBytes == 4 })

        proxy.heal()
        #expect(!proxy.isCut)
        #expect(before.waitForClose())
        #expect(during.waitForClose())
        #expect(proxy.heldConnections == 0)

        let after = try TestClient(port: proxy.port)
        try after.send("again")
        #expect(after.receive(5) == "again")
        #expect(RoundTrip.succeeds(port: proxy.port, request: Array("ping".utf8), timeout: .seconds(10)))
    }

    @Test func upstreamDownClosesTheClient() async throws {
        let port = try FreePort.pick()
        let proxy = try await TCPProxy.start(name: "test", upstreamHost: "127.0.0.1", upstreamPort: port)
        defer { proxy.close() }
        let client = try TestClient(port: proxy.port)
        #expect(client.waitForClose())
    }
}

/// Polls `condition` until it holds or `timeout` passes: a wait for an event, not a sleep.
func eventually(timeout: Duration = .seconds(10), _ condition: () -> Bool) async -> Bool {
    let clock = ContinuousClock()
    let end = clock.now + timeout
    while clock.now < end {
        if condition() { return true }
        try? await Task.sleep(for: .milliseconds(5))
    }
    return condition()
}

/// An echo server on a free loopback port that counts what it accepted and received and can
/// push bytes of its own to every client.
final class EchoServer: Sendable {
    private struct State {
        var clients: [any Channel] = []
        var received = 0
    }

    let port: Int
    private let listener: any Channel
    private let state = Mutex(State())

    private init(port: Int, listener: any Channel) {
        self.port = port
        self.listener = listener
    }

    static func start() async throws -> EchoServer {
        let recorder = Recorder()
        let listener = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .childChannelInitializer { channel in
                recorder.accepted(channel)
                return channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(EchoHandler(recorder: recorder))
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        let server = EchoServer(port: listener.localAddress!.port!, listener: listener)
        recorder.server.withLock { $0 = server }
        return server
    }

    var acceptedCount: Int { state.withLock { $0.clients.count } }
    var receivedBytes: Int { state.withLock { $0.received } }

    fileprivate func accepted(_ channel: any Channel) { state.withLock { $0.clients.append(channel) } }
    fileprivate func received(_ count: Int) { state.withLock { $0.received += count } }

    /// Writes `text` to every client and waits until it is written.
    func push(_ text: String) async throws {
        for client in state.withLock({ $0.clients }) {
            try await client.writeAndFlush(ByteBuffer(string: text))
        }
    }

    func close() {
        listener.close(promise: nil)
        for client in state.withLock({ $0.clients }) { client.close(promise: nil) }
    }
}

/// Reaches the server from its channels' handlers (the server exists only after binding).
private final class Recorder: Sendable {
    let server = Mutex<EchoServer?>(nil)
    func accepted(_ channel: any Channel) { server.withLock { $0 }?.accepted(channel) }
    func received(_ count: Int) { server.withLock { $0 }?.received(count) }
}

private final class EchoHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer
    let recorder: Recorder
    init(recorder: Recorder) { self.recorder = recorder }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        recorder.received(unwrapInboundIn(data).readableBytes)
        context.writeAndFlush(data, promise: nil)
    }
}

/// A blocking loopback client whose reads wait at most ten seconds.
final class TestClient {
    private let fd: Int32

    init(port: Int) throws {
        guard let fd = LoopbackSocket.connect(port: port, timeout: .seconds(10)) else {
            throw HarnessError("cannot connect to 127.0.0.1:\(port)")
        }
        self.fd = fd
    }

    deinit { close(fd) }

    func send(_ text: String) throws {
        let bytes = Array(text.utf8)
        let sent = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        guard sent == bytes.count else { throw HarnessError("send failed") }
    }

    /// `count` bytes, or nil when they do not all arrive within ten seconds.
    func receive(_ count: Int) -> String? {
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: count)
        while bytes.count < count {
            let read = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, count - bytes.count, 0) }
            guard read > 0 else { return nil }
            bytes += buffer[..<read]
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// True when no byte, no end of stream and no error is waiting: the connection is silent.
    func hasNothingToRead() -> Bool {
        var byte: UInt8 = 0
        let read = recv(fd, &byte, 1, Int32(MSG_DONTWAIT))
        return read < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)
    }

    /// Whether the peer closes the connection (end of stream or reset) within ten seconds.
    func waitForClose() -> Bool {
        var buffer = [UInt8](repeating: 0, count: 256)
        while true {
            let read = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if read == 0 { return true }
            if read < 0 { return errno == ECONNRESET }
        }
    }
}
