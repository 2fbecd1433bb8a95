import NIOCore
import NIOPosix
import Synchronization

/// One TCP connection to one ZooKeeper server, after a successful handshake.
///
/// Requests may be written from any task; answers come back through futures. The connection
/// does not reconnect: ``ZooKeeperSession`` opens a new one (to the next server) when it breaks.
final class ZooKeeperConnection: Sendable {
    let channel: any Channel
    /// `host:port` of the server.
    let endpoint: String
    /// What the server answered to the handshake.
    let response: ConnectResponse
    /// How long an answer may take before the connection is given up (the server may be paused
    /// or cut off): closing it lets the session move to another server.
    let replyTimeout: TimeAmount
    private let nextXid = Mutex<Int32>(0)

    private init(channel: any Channel, endpoint: String, response: ConnectResponse, replyTimeout: TimeAmount) {
        self.channel = channel
        self.endpoint = endpoint
        self.response = response
        self.replyTimeout = replyTimeout
    }

    /// Connects to `host:port` and performs the handshake for a new session (`sessionID` 0) or
    /// an existing one. Throws ``ZooKeeperFailure/sessionExpired`` when the server says the
    /// session is gone, ``ZooKeeperFailure/connectionLost(_:)`` when the server cannot be reached.
    static func open(
        host: String,
        port: Int,
        group: any EventLoopGroup,
        connectTimeout: Duration,
        replyTimeout: Duration,
        timeoutMilliseconds: Int32,
        sessionID: Int64,
        password: [UInt8],
        lastZxidSeen: Int64,
        onWatchEvent: @escaping @Sendable (WatcherEvent) -> Void,
        onClose: @escaping @Sendable () -> Void
    ) async throws -> ZooKeeperConnection {
        let endpoint = "\(host):\(port)"
        let channel: any Channel
        do {
            channel = try await ClientBootstrap(group: group)
                .connectTimeout(Self.timeAmount(connectTimeout))
                .channelOption(.socketOption(.tcp_nodelay), value: 1)
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(ZooKeeperFrameDecoder()))
                        try channel.pipeline.syncOperations.addHandler(
                            ZooKeeperChannelHandler(onWatchEvent: onWatchEvent, onClose: onClose))
                    }
                }
                .connect(host: host, port: port)
                .get()
        } catch {
            throw ZooKeeperFailure.connectionLost("cannot connect to \(endpoint): \(error)")
        }
        do {
            let body = ZooKeeperRequest.connect(
                lastZxidSeen: lastZxidSeen, timeoutMilliseconds: timeoutMilliseconds, sessionID: sessionID, password: password)
            let promise = channel.eventLoop.makePromise(of: ZooKeeperReply.self)
            let outbound = ZooKeeperChannelHandler.Outbound(kind: .handshake, frame: Self.frame(body), promise: promise)
            let written = channel.eventLoop.makePromise(of: Void.self)
            written.futureResult.whenFailure { promise.fail(ZooKeeperFailure.connectionLost("\($0)")) }
            channel.writeAndFlush(outbound, promise: written)
            // A server that accepts the connection but never answers is given up after the connect timeout.
            let timer = channel.eventLoop.scheduleTask(in: Self.timeAmount(connectTimeout)) { [channel] in channel.close(promise: nil) }
            var reply = try await Self.cancellable(promise)
            timer.cancel()
            let response = try ConnectResponse(from: &reply.body)
            guard response.timeoutMilliseconds > 0 else {
                channel.close(promise: nil)
                throw ZooKeeperFailure.sessionExpired
            }
            return ZooKeeperConnection(
                channel: channel, endpoint: endpoint, response: response, replyTimeout: Self.timeAmount(replyTimeout))
        } catch {
            channel.close(promise: nil)
            throw error
        }
    }

    /// Sends a request and returns its reply (whatever its error code).
    func send(_ op: ZooKeeperOpCode, _ body: ByteBuffer) async throws -> ZooKeeperReply {
        let xid = nextXid.withLock { xid -> Int32 in
            xid = xid == Int32.max ? 1 : xid + 1
            return xid
        }
        var frame = ByteBuffer()
        frame.writeJuteInt(xid)
        frame.writeJuteInt(op.rawValue)
        var body = body
        frame.writeBuffer(&body)
        return try await write(.request(xid: xid), frame)
    }

    /// Sends a ping and returns when the server answered it.
    func ping() async throws {
        var frame = ByteBuffer()
        frame.writeJuteInt(ZooKeeperXid.ping)
        frame.writeJuteInt(ZooKeeperOpCode.ping.rawValue)
        _ = try await write(.ping, frame)
    }

    /// Closes the TCP connection (the session lives on until it expires or is closed).
    func close() {
        channel.close(promise: nil)
    }

    private func write(_ kind: ZooKeeperChannelHandler.Outbound.Kind, _ payload: ByteBuffer) async throws -> ZooKeeperReply {
        let promise = channel.eventLoop.makePromise(of: ZooKeeperReply.self)
        // A write that never reaches the handler (the channel is already gone) fails the answer too;
        // a promise completed twice keeps its first result.
        let written = channel.eventLoop.makePromise(of: Void.self)
        written.futureResult.whenFailure { promise.fail(ZooKeeperFailure.connectionLost("\($0)")) }
        channel.writeAndFlush(ZooKeeperChannelHandler.Outbound(kind: kind, frame: Self.frame(payload), promise: promise), promise: written)
        let timer = channel.eventLoop.scheduleTask(in: replyTimeout) { [channel] in channel.close(promise: nil) }
        promise.futureResult.whenComplete { _ in timer.cancel() }
        return try await Self.cancellable(promise)
    }

    /// Waits for `promise`; a cancelled task stops waiting at once (the answer, if it comes, is dropped).
    private static func cancellable(_ promise: EventLoopPromise<ZooKeeperReply>) async throws -> ZooKeeperReply {
        try await withTaskCancellationHandler {
            try await promise.futureResult.get()
        } onCancel: {
            promise.fail(CancellationError())
        }
    }

    private static func timeAmount(_ duration: Duration) -> TimeAmount {
        let (seconds, attoseconds) = duration.components
        return .nanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
    }

    /// `payload` preceded by its length.
    private static func frame(_ payload: ByteBuffer) -> ByteBuffer {
        var payload = payload
        var frame = ByteBuffer()
        frame.reserveCapacity(4 + payload.readableBytes)
        frame.writeJuteInt(Int32(payload.readableBytes))
        frame.writeBuffer(&payload)
        return frame
    }
}
