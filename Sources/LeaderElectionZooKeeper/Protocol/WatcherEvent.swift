import NIOCore

/// A watch notification (`WatcherEvent`): what happened to which znode.
struct WatcherEvent: Sendable, Hashable {
    /// The event type: created 1, deleted 2, data changed 3, children changed 4, none -1.
    var type: Int32
    /// The session state: connected 3, expired -112, ...
    var state: Int32
    /// The znode the watch was set on.
    var path: String

    init(from buffer: inout ByteBuffer) throws {
        type = try buffer.readJuteInt()
        state = try buffer.readJuteInt()
        path = try buffer.readJuteString() ?? ""
    }
}
