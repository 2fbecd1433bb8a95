import Hummingbird
import NIOCore

/// The request context of the sandbox: Hummingbird's basics plus the connection, which the
/// `lost` and `hang` faults close without answering.
struct SandboxRequestContext: RequestContext {
    var coreContext: CoreRequestContextStorage
    /// The connection the request came on.
    let channel: any Channel

    init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        channel = source.channel
    }

    /// Requests larger than this are refused (413).
    var maxUploadSize: Int { 1 << 20 }
}
