import NIOCore

/// The server's answer to a `ConnectRequest`. A timeout of zero means the session expired.
struct ConnectResponse: Sendable {
    var timeoutMilliseconds: Int32
    var sessionID: Int64
    var password: [UInt8]

    init(from buffer: inout ByteBuffer) throws {
        _ = try buffer.readJuteInt()  // protocol version
        timeoutMilliseconds = try buffer.readJuteInt()
        sessionID = try buffer.readJuteLong()
        password = try buffer.readJuteBuffer() ?? []
        // A read-only flag may follow; this client never asks for read-only sessions.
    }
}
