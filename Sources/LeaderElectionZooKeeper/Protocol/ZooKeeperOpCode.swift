/// The request types of ZooKeeper's client protocol that this client sends.
enum ZooKeeperOpCode: Int32, Sendable {
    case create = 1
    case delete = 2
    case exists = 3
    case getData = 4
    case getChildren = 8
    case sync = 9
    case ping = 11
    case check = 13
    case multi = 14
    case getChildren2 = 12
    case create2 = 15
    case closeSession = -11
}

/// Reserved request ids (`xid`) of the protocol.
enum ZooKeeperXid {
    /// A watch notification from the server.
    static let watchEvent: Int32 = -1
    /// A ping and its answer.
    static let ping: Int32 = -2
}
