import NIOCore
import Synchronization

/// One client connection through a ``TCPProxy``: the client's channel, the upstream's once it is
/// connected, and whether the connection is blackholed.
final class ProxyConnection: Sendable {
    private struct State {
        var upstream: (any Channel)?
        var blackholed: Bool
        var clientClosed = false
    }

    let client: any Channel
    private let state: Mutex<State>

    init(client: any Channel, blackholed: Bool) {
        self.client = client
        state = Mutex(State(upstream: nil, blackholed: blackholed))
    }

    /// Whether the link was cut while this connection lived (or it was opened during a cut):
    /// then nothing it carries is relayed any more.
    var isBlackholed: Bool { state.withLock { $0.blackholed } }

    /// Stops relaying, for good: bytes were lost, so the stream cannot resume after a heal.
    func blackhole() { state.withLock { $0.blackholed = true } }

    /// Records the upstream channel; false when the connection was blackholed or its client
    /// closed meanwhile, and the upstream must be closed instead.
    func attach(_ upstream: any Channel) -> Bool {
        state.withLock { state in
            guard !state.blackholed, !state.clientClosed else { return false }
            state.upstream = upstream
            return true
        }
    }

    /// Notes that the client went away; returns the upstream to close with it, if any.
    func clientDidClose() -> (any Channel)? {
        state.withLock { state in
            state.clientClosed = true
            return state.upstream
        }
    }

    /// Closes both ends.
    func close() {
        let upstream = state.withLock { $0.upstream }
        client.close(promise: nil)
        upstream?.close(promise: nil)
    }
}
