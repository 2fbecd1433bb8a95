extension PostgresBillingStore {
    /// Where a PostgreSQL billing database is and how to log in.
    public struct Configuration: Sendable, Hashable, CustomStringConvertible {
        /// The default size of the connection pool: 16, the engine's default concurrency.
        public static let defaultMaximumConnections = 16

        /// The server's host name or address.
        public var host: String
        /// The server's port; default 5432.
        public var port: Int
        /// The user to log in as.
        public var username: String
        /// The user's password, if the server asks for one. Never printed.
        public var password: String?
        /// The database's name; the server's default (the user's name) when nil.
        public var database: String?
        /// The most connections the pool opens; default ``defaultMaximumConnections``.
        public var maximumConnections: Int
        /// How long PostgreSQL lets a session sit idle inside an open transaction before it ends
        /// the session. The engine never pauses mid-transaction, so a session idle that long
        /// belongs to a replica that was paused or cut off, and its locks (the fence row's
        /// among them) would otherwise hold up the next leader until it comes back. Default 2 s.
        public var idleInTransactionTimeout: Duration = .seconds(2)
        /// How long a store call may take before it fails with
        /// ``BillingError/Code/storeUnavailable``; nil waits as long as it takes. Either way a call
        /// returns at once when its task is cancelled: a query on a connection that a partition cut
        /// off would otherwise hold its caller (a leader that must stop) until TCP gives up. The
        /// call itself may still complete afterwards, which fenced writes make safe. Default 10 s.
        public var callTimeLimit: Duration? = .seconds(10)
        /// The `application_name` of the store's sessions, which `pg_stat_activity` and server
        /// logs show (and triggers can read): `billing node` sets its node id. Nil leaves the
        /// server's default.
        public var applicationName: String?

        /// Creates a configuration.
        public init(
            host: String, port: Int = 5432, username: String, password: String? = nil, database: String? = nil,
            maximumConnections: Int = defaultMaximumConnections
        ) {
            self.host = host
            self.port = port
            self.username = username
            self.password = password
            self.database = database
            self.maximumConnections = maximumConnections
        }

        /// Reads `postgres://USER[:PASSWORD]@HOST[:PORT][/DATABASE]` (`postgresql://` too);
        /// user and password may be percent-encoded.
        /// - Throws: ``BillingError/Code/invalidStoreURL`` saying what is missing.
        public init(url: String) throws(BillingError) {
            func invalid(_ why: String) -> BillingError {
                BillingError(
                    code: .invalidStoreURL,
                    message: "'\(Self.redacted(url))' is not a PostgreSQL URL: \(why); expected postgres://USER:PASSWORD@HOST:PORT/DATABASE"
                )
            }
            var rest = Substring(url)
            if rest.hasPrefix("postgres://") {
                rest = rest.dropFirst("postgres://".count)
            } else if rest.hasPrefix("postgresql://") {
                rest = rest.dropFirst("postgresql://".count)
            } else {
                throw invalid("it does not start with postgres://")
            }
            if let query = rest.firstIndex(of: "?") {
                throw invalid("options after '?' (\(rest[query...].dropFirst())) are not supported")
            }
            guard let at = rest.lastIndex(of: "@") else { throw invalid("it names no user (USER@ before the host)") }
            let credentials = rest[..<at]
            let location = rest[rest.index(after: at)...]
            let user: Substring
            var password: String?
            if let colon = credentials.firstIndex(of: ":") {
                user = credentials[..<colon]
                password = try Self.percentDecoded(credentials[credentials.index(after: colon)...], url: url)
            } else {
                user = credentials
            }
            guard !user.isEmpty else { throw invalid("the user name is empty") }
            let hostPort: Substring
            var database: String?
            if let slash = location.firstIndex(of: "/") {
                hostPort = location[..<slash]
                let name = location[location.index(after: slash)...]
                database = name.isEmpty ? nil : try Self.percentDecoded(name, url: url)
            } else {
                hostPort = location
            }
            var host = hostPort
            var port = 5432
            if let colon = hostPort.lastIndex(of: ":"), !hostPort.hasSuffix("]") {
                host = hostPort[..<colon]
                guard let parsed = Int(hostPort[hostPort.index(after: colon)...]), (1...65535).contains(parsed) else {
                    throw invalid("the port is not a number between 1 and 65535")
                }
                port = parsed
            }
            if host.hasPrefix("["), host.hasSuffix("]") { host = host.dropFirst().dropLast() }
            guard !host.isEmpty else { throw invalid("the host is empty") }
            self.init(
                host: String(host), port: port, username: try Self.percentDecoded(user, url: url), password: password, database: database)
        }

        /// `postgres://USER@HOST:PORT/DATABASE`, without the password.
        public var displayName: String {
            "postgres://\(username)@\(host):\(port)/\(database ?? "")"
        }

        public var description: String { displayName }

        /// The URL with any password replaced by `***`, for messages.
        static func redacted(_ url: String) -> String {
            guard let scheme = url.firstRange(of: "://"), let at = url.lastIndex(of: "@"), scheme.upperBound < at,
                let colon = url[scheme.upperBound..<at].firstIndex(of: ":")
            else { return url }
            return String(url[..<url.index(after: colon)]) + "***" + String(url[at...])
        }

        private static func percentDecoded(_ text: Substring, url: String) throws(BillingError) -> String {
            var bytes: [UInt8] = []
            var iterator = Array(text.utf8).makeIterator()
            while let byte = iterator.next() {
                guard byte == UInt8(ascii: "%") else {
                    bytes.append(byte)
                    continue
                }
                guard let high = iterator.next().flatMap(hexValue), let low = iterator.next().flatMap(hexValue) else {
                    throw BillingError(
                        code: .invalidStoreURL, message: "'\(redacted(url))' has a '%' not followed by two hexadecimal digits")
                }
                bytes.append(high << 4 | low)
            }
            return String(decoding: bytes, as: UTF8.self)
        }

        private static func hexValue(_ byte: UInt8) -> UInt8? {
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
            default: nil
            }
        }
    }
}
