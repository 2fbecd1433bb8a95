/// What went wrong talking to ZooKeeper, inside this module; the backend turns it into an
/// `ElectionError` before a caller sees it.
enum ZooKeeperFailure: Error, Equatable, CustomStringConvertible {
    /// The server answered a request with an error code (`KeeperException.Code`).
    case server(code: Int32, path: String)
    /// The connection broke or could not be made; the session may still be alive.
    case connectionLost(String)
    /// The server said the session expired (or it was closed): its ephemeral znodes are gone.
    case sessionExpired
    /// Bytes that do not follow the protocol.
    case malformed(String)
    /// `server` granted the session a timeout of `granted` ms, below the `required` minimum; the
    /// session was closed.
    case timeoutTooShort(granted: Int32, required: Int32, server: String)

    static let noNode: Int32 = -101
    static let nodeExists: Int32 = -110
    static let notEmpty: Int32 = -111
    static let sessionExpiredCode: Int32 = -112
    static let sessionMoved: Int32 = -118
    static let connectionLossCode: Int32 = -4

    /// Whether this is the server's "no such znode".
    var isNoNode: Bool { self == .server(code: Self.noNode, path: pathOrEmpty) }

    /// Whether this is the server's "znode exists".
    var isNodeExists: Bool { self == .server(code: Self.nodeExists, path: pathOrEmpty) }

    private var pathOrEmpty: String {
        if case .server(_, let path) = self { return path }
        return ""
    }

    var description: String {
        switch self {
        case .server(let code, let path): "ZooKeeper error \(code) (\(Self.name(code))) for \(path)"
        case .connectionLost(let why): "connection lost: \(why)"
        case .sessionExpired: "session expired"
        case .malformed(let what): "malformed ZooKeeper message: could not read \(what)"
        case .timeoutTooShort(let granted, let required, let server):
            "\(server) granted a session timeout of \(granted) ms, below the \(required) ms needed; the session was closed"
        }
    }

    private static func name(_ code: Int32) -> String {
        switch code {
        case -1: "system error"
        case -4: "connection loss"
        case -101: "no node"
        case -102: "not authorized"
        case -103: "bad version"
        case -108: "ephemeral znodes may not have children"
        case -110: "node exists"
        case -111: "not empty"
        case -112: "session expired"
        case -114: "invalid ACL"
        case -118: "session moved"
        default: "see KeeperException.Code"
        }
    }
}
