import NIOCore
import NIOPosix

/// A TCP proxy for one link of the harness's loopback network (a node to one coordination server, a node
/// to PostgreSQL): it listens on a free loopback port and relays each connection to the upstream,
/// until the link is cut.
///
/// A cut is a blackhole, like the namespace mode's blackhole route: established connections stop
/// relaying in both directions, and whatever arrives from either end is read and thrown away
/// (``droppedBytes``), with no FIN and no RST to anyone. A connection opened during the cut is
/// accepted but never connected through, and its bytes are dropped too. Refusing it instead would
/// hand the client a fast, explicit error that a partitioned network never gives; like this it
/// finds out by its own timeouts, as behind a blackhole route (where its connect times out; here
/// its first read does).
///
/// ``heal()`` lets new connections through again and closes the blackholed ones: they lost bytes,
/// so their streams cannot resume, and the close makes their clients reconnect.
final class TCPProxy: Sendable {
    let name: String
    let upstreamHost: String
    let upstreamPort: Int
    /// The loopback port clients connect to.
    let port: Int
    private let link: ProxyLink
    private let listener: any Channel

    private init(name: String, upstreamHost: String, upstreamPort: Int, port: Int, link: ProxyLink, listener: any Channel) {
        self.name = name
        self.upstreamHost = upstreamHost
        self.upstreamPort = upstreamPort
        self.port = port
        self.link = link
        self.listener = listener
    }

    /// Starts a proxy on a free port of 127.0.0.1 (bound at port 0, so no other process can take it
    /// between picking and binding) that relays to `upstreamHost:upstreamPort`; or on `port`, to
    /// listen again where a closed proxy listened (its clients were refused meanwhile).
    static func start(
        name: String, upstreamHost: String, upstreamPort: Int, port: Int = 0,
        group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) async throws -> TCPProxy {
        let link = ProxyLink()
        let listener = try await ServerBootstrap(group: group)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { client in
                client.eventLoop.makeCompletedFuture {
                    try accept(client, link: link, upstreamHost: upstreamHost, upstreamPort: upstreamPort)
                }
            }
            .bind(host: "127.0.0.1", port: port)
            .get()
        guard let port = listener.localAddress?.port else {
            try? await listener.close()
            throw HarnessError("the proxy \(name) has no local port")
        }
        return TCPProxy(name: name, upstreamHost: upstreamHost, upstreamPort: upstreamPort, port: port, link: link, listener: listener)
    }

    private static func accept(_ client: any Channel, link: ProxyLink, upstreamHost: String, upstreamPort: Int) throws {
        let connection = link.register(client: client)
        client.closeFuture.whenComplete { _ in link.clientDidClose(connection) }
        try client.pipeline.syncOperations.addHandler(RelayHandler(connection: connection, link: link, partner: nil))
        guard !connection.isBlackholed else { return }
        ClientBootstrap(group: client.eventLoop)
            .channelInitializer { upstream in
                upstream.eventLoop.makeCompletedFuture {
                    try upstream.pipeline.syncOperations.addHandler(RelayHandler(connection: connection, link: link, partner: client))
                }
            }
            .connect(host: upstreamHost, port: upstreamPort)
            .whenComplete { result in
                switch result {
                case .success(let upstream):
                    if connection.attach(upstream) {
                        client.pipeline.fireUserInboundEventTriggered(RelayHandler.Event.upstreamConnected(upstream))
                    } else {
                        upstream.close(promise: nil)
                    }
                case .failure:
                    // The upstream is down (a killed coordination server, PostgreSQL restarting): the client
                    // hears of it as it would directly, unless the link was cut meanwhile.
                    if !connection.isBlackholed { client.close(promise: nil) }
                }
            }
    }

    /// Whether the link is cut now.
    var isCut: Bool { link.isCut }
    /// Bytes dropped in either direction while cut, over the proxy's life.
    var droppedBytes: Int { link.droppedBytes }
    /// Connections held blackholed now.
    var heldConnections: Int { link.heldConnections }

    /// Cuts the link; every open connection is blackholed when this returns.
    func cut() { link.cut() }

    /// Heals the link: new connections pass again; the blackholed ones are closed.
    func heal() { link.heal() }

    /// Slows what the link relays (``LinkImpairment``), or, with nil, restores it.
    func impair(_ impairment: LinkImpairment?) { link.impair(impairment) }

    /// Stops listening and closes every connection.
    func close() {
        listener.close(promise: nil)
        link.closeAll()
    }
}
