import NIOCore

/// One answer to a request: the reply header (`xid`, `zxid`, `err`) and the body that follows.
struct ZooKeeperReply: Sendable {
    var xid: Int32
    var zxid: Int64
    var error: Int32
    var body: ByteBuffer
}
