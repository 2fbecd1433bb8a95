import NIOCore

/// Builds the body of each request this client sends (everything after the request header).
enum ZooKeeperRequest {
    /// `OPEN_ACL_UNSAFE`: every permission (31) for `world:anyone`, as kazoo and zkCli create.
    private static func writeOpenACL(_ buffer: inout ByteBuffer) {
        buffer.writeJuteInt(1)
        buffer.writeJuteInt(31)
        buffer.writeJuteString("world")
        buffer.writeJuteString("anyone")
    }

    /// Create flags: persistent 0, ephemeral 1, sequential 2.
    enum CreateMode: Int32 {
        case persistent = 0
        case ephemeral = 1
        case ephemeralSequential = 3
    }

    static func create(path: String, data: [UInt8], mode: CreateMode) -> (ZooKeeperOpCode, ByteBuffer) {
        var buffer = ByteBuffer()
        buffer.writeJuteString(path)
        buffer.writeJuteBuffer(data)
        writeOpenACL(&buffer)
        buffer.writeJuteInt(mode.rawValue)
        return (.create2, buffer)
    }

    static func delete(path: String) -> (ZooKeeperOpCode, ByteBuffer) {
        var buffer = ByteBuffer()
        buffer.writeJuteString(path)
        buffer.writeJuteInt(-1)  // any version
        return (.delete, buffer)
    }

    static func exists(path: String, watch: Bool) -> (ZooKeeperOpCode, ByteBuffer) {
        pathAndWatch(.exists, path, watch)
    }

    static func getData(path: String, watch: Bool) -> (ZooKeeperOpCode, ByteBuffer) {
        pathAndWatch(.getData, path, watch)
    }

    static func getChildren(path: String, watch: Bool) -> (ZooKeeperOpCode, ByteBuffer) {
        pathAndWatch(.getChildren, path, watch)
    }

    /// `SyncRequest`: the server answers once it has caught up with the ensemble's leader as of
    /// the moment the leader processed the request (a follower forwards it to the leader).
    static func sync(path: String) -> (ZooKeeperOpCode, ByteBuffer) {
        var buffer = ByteBuffer()
        buffer.writeJuteString(path)
        return (.sync, buffer)
    }

    /// `multi` holding one `check` of `path` at any version: a transaction that changes nothing,
    /// but that the ensemble's leader must commit through a quorum, after checking that the
    /// session is alive (and `path` exists), before any server can answer it.
    static func checkThroughQuorum(path: String) -> (ZooKeeperOpCode, ByteBuffer) {
        var buffer = ByteBuffer()
        // MultiHeader (type, done, err), then the operation's CheckVersionRequest (path, version).
        buffer.writeJuteInt(ZooKeeperOpCode.check.rawValue)
        buffer.writeJuteBool(false)
        buffer.writeJuteInt(-1)
        buffer.writeJuteString(path)
        buffer.writeJuteInt(-1)  // any version
        // The closing MultiHeader.
        buffer.writeJuteInt(-1)
        buffer.writeJuteBool(true)
        buffer.writeJuteInt(-1)
        return (.multi, buffer)
    }

    private static func pathAndWatch(_ op: ZooKeeperOpCode, _ path: String, _ watch: Bool) -> (ZooKeeperOpCode, ByteBuffer) {
        var buffer = ByteBuffer()
        buffer.writeJuteString(path)
        buffer.writeJuteBool(watch)
        return (op, buffer)
    }

    /// `ConnectRequest`: protocol version 0, the last zxid seen, the session timeout in
    /// milliseconds, the session id and password (zero and empty for a new session), not read-only.
    static func connect(lastZxidSeen: Int64, timeoutMilliseconds: Int32, sessionID: Int64, password: [UInt8]) -> ByteBuffer {
        var buffer = ByteBuffer()
        buffer.writeJuteInt(0)
        buffer.writeJuteLong(lastZxidSeen)
        buffer.writeJuteInt(timeoutMilliseconds)
        buffer.writeJuteLong(sessionID)
        buffer.writeJuteBuffer(password.isEmpty ? [UInt8](repeating: 0, count: 16) : password)
        buffer.writeJuteBool(false)
        return buffer
    }
}
