import AsyncHTTPClient
import NIOCore
import NIOHTTP1
import Synchronization

/// The AsyncHTTPClient delegate behind ``ProviderTransport``: collects one answer (up to a byte
/// limit) and records whether the request head was handed to a connection.
///
/// AsyncHTTPClient calls a delegate on the request's event loop, one call at a time and in the
/// order things happened on the connection; the state sits behind a `Mutex` only because the
/// awaiting task reads it afterwards from elsewhere.
final class ResponseCollector: HTTPClientResponseDelegate {
    typealias Response = ProviderTransport.Response

    /// The answer was larger than the limit; it was not read to the end.
    struct TooLarge: Error {}

    /// How far a request got.
    struct Progress: Sendable {
        /// Whether the request head was handed to a connection: from then on the provider may see it.
        var requestHeadSent = false
        /// The answer's status, once its head arrived.
        var status: Int?
        /// The answer's headers.
        var headers: HTTPHeaders = [:]
        /// The body read so far.
        var body: [UInt8] = []
    }

    private let state = Mutex(Progress())
    private let maximumBytes: Int

    /// A collector that reads at most `maximumBytes` of body.
    init(maximumBytes: Int) {
        self.maximumBytes = maximumBytes
    }

    /// What has happened so far.
    var progress: Progress { state.withLock { $0 } }

    func didSendRequestHead(task: HTTPClient.Task<Response>, _ head: HTTPRequestHead) {
        state.withLock { $0.requestHeadSent = true }
    }

    func didReceiveHead(task: HTTPClient.Task<Response>, _ head: HTTPResponseHead) -> EventLoopFuture<Void> {
        state.withLock { state in
            state.status = Int(head.status.code)
            state.headers = head.headers
        }
        return task.eventLoop.makeSucceededVoidFuture()
    }

    func didReceiveBodyPart(task: HTTPClient.Task<Response>, _ buffer: ByteBuffer) -> EventLoopFuture<Void> {
        let limit = maximumBytes
        let fits = state.withLock { state in
            guard state.body.count + buffer.readableBytes <= limit else { return false }
            state.body.append(contentsOf: buffer.readableBytesView)
            return true
        }
        return fits ? task.eventLoop.makeSucceededVoidFuture() : task.eventLoop.makeFailedFuture(TooLarge())
    }

    func didFinishRequest(task: HTTPClient.Task<Response>) throws -> Response {
        try state.withLock { state in
            guard let status = state.status else { throw HTTPClientError.remoteConnectionClosed }
            return Response(status: status, headers: state.headers, body: state.body)
        }
    }
}
