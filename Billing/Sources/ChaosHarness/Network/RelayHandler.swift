import NIOCore

/// Relays the bytes one end of a ``ProxyConnection`` reads to the other end, or drops them
/// (counted by the ``ProxyLink``) once the connection is blackholed, each chunk after the delay of
/// the link's ``LinkImpairment`` when it has one (never before a chunk read earlier).
///
/// The client's handler has no partner until the upstream connects; what the client sends until
/// then waits in `pending`, and the partner arrives as an ``Event`` on the client's pipeline, so
/// that it is handled in order with the client's reads.
final class RelayHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer

    enum Event: Sendable {
        case upstreamConnected(any Channel)
    }

    private let connection: ProxyConnection
    private let link: ProxyLink
    private var partner: (any Channel)?
    private var pending: [ByteBuffer] = []
    /// When the last delayed chunk goes out: a later one never overtakes it.
    private var lastRelease: NIODeadline = .uptimeNanoseconds(0)
    private var random = SystemRandomNumberGenerator()

    init(connection: ProxyConnection, link: ProxyLink, partner: (any Channel)?) {
        self.connection = connection
        self.link = link
        self.partner = partner
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let buffer = unwrapInboundIn(data)
        if connection.isBlackholed {
            link.recordDropped(buffer.readableBytes)
        } else if let partner {
            guard let impairment = link.impairment else {
                partner.writeAndFlush(buffer, promise: nil)
                return
            }
            let delay = impairment.delay(draw: Double.random(in: 0..<1, using: &random))
            let release = max(lastRelease, .now() + TimeAmount(delay))
            lastRelease = release
            let connection = connection
            context.eventLoop.scheduleTask(deadline: release) {
                if !connection.isBlackholed { partner.writeAndFlush(buffer, promise: nil) }
            }
        } else {
            pending.append(buffer)
        }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        guard case .upstreamConnected(let upstream)? = event as? Event else {
            context.fireUserInboundEventTriggered(event)
            return
        }
        partner = upstream
        let waiting = pending
        pending = []
        for buffer in waiting {
            if connection.isBlackholed {
                link.recordDropped(buffer.readableBytes)
            } else {
                upstream.write(buffer, promise: nil)
            }
        }
        upstream.flush()
    }

    func channelInactive(context: ChannelHandlerContext) {
        // A close does not cross a partition either: a blackholed peer hears nothing until the
        // heal closes it.
        if !connection.isBlackholed { partner?.close(promise: nil) }
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }
}
