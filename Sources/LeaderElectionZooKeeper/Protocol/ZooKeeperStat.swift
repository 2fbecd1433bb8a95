import NIOCore

/// A znode's metadata (`Stat`), as far as the election needs it.
struct ZooKeeperStat: Sendable, Hashable {
    /// The zxid of the transaction that created the znode: strictly increasing across all znodes.
    var czxid: Int64
    /// The session that owns the znode when it is ephemeral, else 0.
    var ephemeralOwner: Int64

    /// Reads the eleven fields of a `Stat` (68 bytes).
    init(from buffer: inout ByteBuffer) throws {
        czxid = try buffer.readJuteLong()
        _ = try buffer.readJuteLong()  // mzxid
        _ = try buffer.readJuteLong()  // ctime
        _ = try buffer.readJuteLong()  // mtime
        _ = try buffer.readJuteInt()  // version
        _ = try buffer.readJuteInt()  // cversion
        _ = try buffer.readJuteInt()  // aversion
        ephemeralOwner = try buffer.readJuteLong()
        _ = try buffer.readJuteInt()  // dataLength
        _ = try buffer.readJuteInt()  // numChildren
        _ = try buffer.readJuteLong()  // pzxid
    }
}
