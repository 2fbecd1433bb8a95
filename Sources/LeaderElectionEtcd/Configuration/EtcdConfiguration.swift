import LeaderElection

/// How ``EtcdBackend`` reaches an etcd cluster: endpoints, timeouts, TLS and authentication.
///
/// Build it from a store URL with ``init(url:)`` (`etcd://host:port[,host:port...]`,
/// `etcds://...` for TLS, options as query parameters) or set the properties directly.
/// Not guaranteed: that the endpoints belong to one cluster; give the client URLs of one cluster only.
public struct EtcdConfiguration: Sendable, Hashable {
    /// One etcd member's client address.
    public struct Endpoint: Sendable, Hashable, CustomStringConvertible {
        /// Host name or IP address.
        public var host: String
        /// Client port (etcd's default is 2379).
        public var port: Int

        /// Creates an endpoint.
        public init(host: String, port: Int) {
            self.host = host
            self.port = port
        }

        public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
    }

    /// TLS settings for `etcds://`.
    public struct TLS: Sendable, Hashable {
        /// PEM file with the certificate authorities that signed the members' certificates;
        /// nil uses the system's trust store.
        public var caFile: String?
        /// PEM file with this client's certificate chain, for members that require client certificates.
        public var certificateFile: String?
        /// PEM file with the private key of ``certificateFile``.
        public var keyFile: String?
        /// Whether to check that a member's certificate names the host it was reached at. Default: true.
        public var verifyHostname: Bool

        /// Creates TLS settings.
        public init(caFile: String? = nil, certificateFile: String? = nil, keyFile: String? = nil, verifyHostname: Bool = true) {
            self.caFile = caFile
            self.certificateFile = certificateFile
            self.keyFile = keyFile
            self.verifyHostname = verifyHostname
        }
    }

    /// A user name and password for etcd's authentication (`etcdctl user add`).
    public struct Credentials: Sendable, Hashable, CustomStringConvertible {
        /// The etcd user.
        public var username: String
        /// The user's password.
        public var password: String

        /// Creates credentials.
        public init(username: String, password: String) {
            self.username = username
            self.password = password
        }

        /// The user name only: the password is never printed.
        public var description: String { "\(username):<password>" }
    }

    /// The members to talk to; requests fail over from one to the next. At least one.
    public var endpoints: [Endpoint]
    /// How long a request may wait for an endpoint that has not answered yet (or failed last time)
    /// before the next endpoint is tried. Default: 1 s.
    public var connectTimeout: Duration
    /// How long one request (or one keep-alive round trip) may take on an answering endpoint
    /// before the next endpoint is tried. Default: 2 s.
    ///
    /// The keep-alive stream moves on sooner: when a renewal's caller gives up and the stream has
    /// owed an answer for a tenth of this (200 ms by default), the member is taken as stuck.
    public var requestTimeout: Duration
    /// How often a waiting watch asks the member for a progress notification, to notice a member
    /// that stopped answering. Default: 5 s.
    public var watchProgressInterval: Duration
    /// TLS settings; nil for plaintext (`etcd://`).
    public var tls: TLS?
    /// Credentials when the cluster has authentication enabled; nil otherwise.
    public var credentials: Credentials?

    /// Creates a configuration; every default is stated on its property.
    public init(
        endpoints: [Endpoint],
        connectTimeout: Duration = .seconds(1),
        requestTimeout: Duration = .seconds(2),
        watchProgressInterval: Duration = .seconds(5),
        tls: TLS? = nil,
        credentials: Credentials? = nil
    ) {
        self.endpoints = endpoints
        self.connectTimeout = connectTimeout
        self.requestTimeout = requestTimeout
        self.watchProgressInterval = watchProgressInterval
        self.tls = tls
        self.credentials = credentials
    }

    /// Checks the values; throws `ElectionError.Code.invalidConfiguration` saying what to change.
    public func validate() throws {
        guard !endpoints.isEmpty else {
            throw ElectionError.invalidConfiguration(
                "no etcd endpoint given; pass at least one host:port, for example etcd://127.0.0.1:2379")
        }
        for endpoint in endpoints where endpoint.host.isEmpty || !(1...65535).contains(endpoint.port) {
            throw ElectionError.invalidConfiguration("etcd endpoint '\(endpoint)' needs a host and a port between 1 and 65535")
        }
        for (name, value) in [
            ("connectTimeout", connectTimeout), ("requestTimeout", requestTimeout), ("watchProgressInterval", watchProgressInterval),
        ]
        where value <= .zero {
            throw ElectionError.invalidConfiguration("etcd \(name) is \(value); it must be positive")
        }
        if let tls, (tls.certificateFile == nil) != (tls.keyFile == nil) {
            throw ElectionError.invalidConfiguration(
                "etcd TLS needs both a client certificate and its key, or neither (cert=\(tls.certificateFile ?? "none"), key=\(tls.keyFile ?? "none"))"
            )
        }
    }
}
