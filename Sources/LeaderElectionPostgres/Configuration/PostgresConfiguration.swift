import LeaderElection

/// Where the PostgreSQL election store is, how to log in, and how long to wait for it.
public struct PostgresConfiguration: Sendable, Hashable, CustomStringConvertible {
    /// The server's host name or address.
    public var host: String
    /// The server's port; default 5432.
    public var port: Int
    /// The user to log in as.
    public var username: String
    /// The user's password, if the server asks for one. Never printed.
    public var password: String?
    /// The database; the server's default (the user's name) when nil.
    public var database: String?
    /// How long one operation may take before it fails with
    /// `ElectionError.Code.storeUnavailable`; default 5 s.
    public var requestTimeout: Duration
    /// How often a waiting candidate or an observer re-reads the election although no
    /// notification came (a lost notification connection, for example); default 2 s.
    public var pollInterval: Duration
    /// The most connections the pool opens (the notification connection comes on top); default 4.
    public var maximumConnections: Int

    /// Creates a configuration; every default is stated on its property.
    public init(
        host: String,
        port: Int = 5432,
        username: String,
        password: String? = nil,
        database: String? = nil,
        requestTimeout: Duration = .seconds(5),
        pollInterval: Duration = .seconds(2),
        maximumConnections: Int = 4
    ) {
        self.host = host
        self.port = port
        self.username = username
        self.password = password
        self.database = database
        self.requestTimeout = requestTimeout
        self.pollInterval = pollInterval
        self.maximumConnections = maximumConnections
    }

    /// `postgres://USER@HOST:PORT/DATABASE`, without the password.
    public var description: String {
        "postgres://\(username)@\(host):\(port)/\(database ?? "")"
    }

    /// Throws `ElectionError.Code.invalidConfiguration` when a value is out of range.
    func validate() throws {
        guard requestTimeout > .zero else {
            throw ElectionError.invalidConfiguration("the PostgreSQL request timeout must be positive, got \(requestTimeout)")
        }
        guard pollInterval > .zero else {
            throw ElectionError.invalidConfiguration("the PostgreSQL poll interval must be positive, got \(pollInterval)")
        }
        guard maximumConnections >= 1 else {
            throw ElectionError.invalidConfiguration("the PostgreSQL pool needs at least one connection, got \(maximumConnections)")
        }
    }
}
