import NIOCore
import Synchronization

/// The switch of one ``TCPProxy``: whether the link is cut, the connections it carries, and how
/// many bytes it dropped while cut.
final class ProxyLink: Sendable {
    private struct State {
        var isCut = false
        var impairment: LinkImpairment?
        var connections: [ObjectIdentifier: ProxyConnection] = [:]
        var droppedBytes = 0
    }

    private let state = Mutex(State())

    /// Whether the link is cut now.
    var isCut: Bool { state.withLock { $0.isCut } }

    /// How the link slows what it relays now, if it does.
    var impairment: LinkImpairment? { state.withLock { $0.impairment } }

    /// Slows the link (or, with nil, restores it); connections it carries feel it at once.
    func impair(_ impairment: LinkImpairment?) { state.withLock { $0.impairment = impairment } }

    /// Bytes read from either end of a blackholed connection and thrown away, over the proxy's life.
    var droppedBytes: Int { state.withLock { $0.droppedBytes } }

    /// Connections the proxy holds blackholed now (opened before or during the cut).
    var heldConnections: Int { state.withLock { $0.connections.values.filter(\.isBlackholed).count } }

    func recordDropped(_ count: Int) { state.withLock { $0.droppedBytes += count } }

    /// A new client connection, blackholed from the start when the link is cut.
    func register(client: any Channel) -> ProxyConnection {
        state.withLock { state in
            let connection = ProxyConnection(client: client, blackholed: state.isCut)
            state.connections[ObjectIdentifier(connection)] = connection
            return connection
        }
    }

    /// The client closed. A relayed connection ends at the upstream too; a blackholed one stays
    /// held (its upstream hears nothing across the cut) until the heal closes it.
    func clientDidClose(_ connection: ProxyConnection) {
        let upstream: (any Channel)? = state.withLock { state in
            let upstream = connection.clientDidClose()
            guard !connection.isBlackholed else { return nil }
            state.connections[ObjectIdentifier(connection)] = nil
            return upstream
        }
        upstream?.close(promise: nil)
    }

    /// Cuts the link: every connection is blackholed before this returns, and new ones will be.
    func cut() {
        state.withLock { state in
            state.isCut = true
            for connection in state.connections.values { connection.blackhole() }
        }
    }

    /// Lets new connections through again and closes the blackholed ones, so that their clients
    /// reconnect.
    func heal() {
        let held: [ProxyConnection] = state.withLock { state in
            state.isCut = false
            let held = state.connections.values.filter(\.isBlackholed)
            for connection in held { state.connections[ObjectIdentifier(connection)] = nil }
            return held
        }
        for connection in held { connection.close() }
    }

    /// Closes every connection (the proxy shuts down).
    func closeAll() {
        let all = state.withLock { state in
            defer { state.connections = [:] }
            return Array(state.connections.values)
        }
        for connection in all { connection.close() }
    }
}
