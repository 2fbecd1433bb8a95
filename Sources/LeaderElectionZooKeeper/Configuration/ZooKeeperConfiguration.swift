import LeaderElection

/// Where the ZooKeeper ensemble is, and how the backend uses it.
public struct ZooKeeperConfiguration: Sendable, Hashable, CustomStringConvertible {
    /// One server of the ensemble.
    public struct Endpoint: Sendable, Hashable, CustomStringConvertible {
        /// The host name or address.
        public var host: String
        /// The client port (ZooKeeper's default is 2181).
        public var port: Int

        /// Creates an endpoint.
        public init(host: String, port: Int = 2181) {
            self.host = host
            self.port = port
        }

        /// `HOST:PORT`, with an IPv6 address in brackets.
        public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
    }

    /// The servers of the ensemble; sessions move between them when a connection breaks.
    public var endpoints: [Endpoint]
    /// Where elections whose name does not begin with `/` live: `ROOT/NAME`; default
    /// `/leader-election`. A name beginning with `/` is the znode path itself.
    public var root: String
    /// How long to wait for one server to accept a connection; default 1 s.
    public var connectTimeout: Duration
    /// How long one request may take before it fails with
    /// `ElectionError.Code.storeUnavailable`; default 5 s.
    public var requestTimeout: Duration
    /// Added to a lease's TTL to make the session timeout asked of ZooKeeper; default nil, which
    /// means TTL / 3. A follower tells the ensemble's leader that a client's session is alive only
    /// every half tick, and a follower cut off from the leader right after a renewal's answer may
    /// never tell it about that renewal: the allowance keeps the session alive at the leader for a
    /// full TTL after the renewal before that one, as long as renewals come at least every TTL / 3
    /// (`Election`'s default).
    public var sessionTimeoutAllowance: Duration?
    /// The session timeout of the backend's own session, used to read and observe elections;
    /// default 10 s. It is pinged every third of that while ``ZooKeeperBackend/run()`` runs, and
    /// an observation (``ZooKeeperBackend/watchLeader(election:)``) ends with an error only after
    /// failing to read for that long.
    public var observerSessionTimeout: Duration
    /// How often a waiting candidate re-reads the election although no watch fired, as a safety
    /// net; default 10 s.
    public var pollInterval: Duration

    /// Creates a configuration; every default is stated on its property.
    public init(
        endpoints: [Endpoint],
        root: String = "/leader-election",
        connectTimeout: Duration = .seconds(1),
        requestTimeout: Duration = .seconds(5),
        sessionTimeoutAllowance: Duration? = nil,
        observerSessionTimeout: Duration = .seconds(10),
        pollInterval: Duration = .seconds(10)
    ) {
        self.endpoints = endpoints
        self.root = root
        self.connectTimeout = connectTimeout
        self.requestTimeout = requestTimeout
        self.sessionTimeoutAllowance = sessionTimeoutAllowance
        self.observerSessionTimeout = observerSessionTimeout
        self.pollInterval = pollInterval
    }

    /// `zookeeper://HOST:PORT,...`
    public var description: String {
        "zookeeper://" + endpoints.map(\.description).joined(separator: ",")
    }

    /// Throws `ElectionError.Code.invalidConfiguration` when a value is out of range.
    func validate() throws {
        guard !endpoints.isEmpty else {
            throw ElectionError.invalidConfiguration("a ZooKeeper configuration needs at least one server (host:port)")
        }
        guard root.hasPrefix("/"), root == "/" || !root.hasSuffix("/") else {
            throw ElectionError.invalidConfiguration("the ZooKeeper election root '\(root)' must begin with '/' and not end with one")
        }
        for (name, value) in [
            ("connect timeout", connectTimeout), ("request timeout", requestTimeout), ("observer session timeout", observerSessionTimeout),
            ("poll interval", pollInterval),
        ] {
            guard value > .zero else {
                throw ElectionError.invalidConfiguration("the ZooKeeper \(name) must be positive, got \(value)")
            }
        }
    }
}
