import NIOCore

/// Matches ZooKeeper's answers to the requests written on one connection, on its event loop.
///
/// The first frame read answers the handshake. After it, replies carry the request's `xid`
/// (the server answers a session's requests in order), pings answer with `xid` -2, and watch
/// notifications with `xid` -1 go to `onWatchEvent`. When the connection ends, every pending
/// request fails with ``ZooKeeperFailure/connectionLost(_:)`` and `onClose` runs.
final class ZooKeeperChannelHandler: ChannelDuplexHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = Outbound
    typealias OutboundOut = ByteBuffer

    /// A frame to send and the promise its answer completes.
    struct Outbound: Sendable {
        enum Kind: Sendable {
            case handshake
            case request(xid: Int32)
            case ping
        }

        var kind: Kind
        var frame: ByteBuffer
        var promise: EventLoopPromise<ZooKeeperReply>
    }

    private var handshake: EventLoopPromise<ZooKeeperReply>?
    private var pending: [Int32: EventLoopPromise<ZooKeeperReply>] = [:]
    private var pings: [EventLoopPromise<ZooKeeperReply>] = []
    private var closed = false
    private let onWatchEvent: @Sendable (WatcherEvent) -> Void
    private let onClose: @Sendable () -> Void

    init(onWatchEvent: @escaping @Sendable (WatcherEvent) -> Void, onClose: @escaping @Sendable () -> Void) {
        self.onWatchEvent = onWatchEvent
        self.onClose = onClose
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let outbound = unwrapOutboundIn(data)
        guard !closed else {
            outbound.promise.fail(ZooKeeperFailure.connectionLost("the connection is closed"))
            promise?.fail(ZooKeeperFailure.connectionLost("the connection is closed"))
            return
        }
        switch outbound.kind {
        case .handshake: handshake = outbound.promise
        case .request(let xid): pending[xid] = outbound.promise
        case .ping: pings.append(outbound.promise)
        }
        context.write(wrapOutboundOut(outbound.frame), promise: promise)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var frame = unwrapInboundIn(data)
        if let handshake {
            self.handshake = nil
            handshake.succeed(ZooKeeperReply(xid: 0, zxid: 0, error: 0, body: frame))
            return
        }
        do {
            let xid = try frame.readJuteInt()
            let zxid = try frame.readJuteLong()
            let error = try frame.readJuteInt()
            let reply = ZooKeeperReply(xid: xid, zxid: zxid, error: error, body: frame)
            switch xid {
            case ZooKeeperXid.watchEvent:
                onWatchEvent(try WatcherEvent(from: &frame))
            case ZooKeeperXid.ping:
                if !pings.isEmpty { pings.removeFirst().succeed(reply) }
            default:
                pending.removeValue(forKey: xid)?.succeed(reply)
            }
        } catch {
            context.fireErrorCaught(error)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        failAll("\(error)")
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        failAll("the server closed the connection")
        context.fireChannelInactive()
    }

    private func failAll(_ why: String) {
        guard !closed else { return }
        closed = true
        let failure = ZooKeeperFailure.connectionLost(why)
        handshake?.fail(failure)
        handshake = nil
        for promise in pending.values { promise.fail(failure) }
        pending = [:]
        for promise in pings { promise.fail(failure) }
        pings = []
        onClose()
    }
}
