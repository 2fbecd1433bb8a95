import LeaderElection

extension PostgresConfiguration {
    /// Reads `postgres://USER[:PASSWORD]@HOST[:PORT][/DATABASE]` (`postgresql://` too); user,
    /// password and database may be percent-encoded.
    /// - Throws: `ElectionError.Code.invalidStoreURL` saying what is missing or wrong.
    public init(url: String) throws {
        let shown = url
        func invalid(_ why: String) -> ElectionError {
            ElectionError(
                code: .invalidStoreURL,
                message:
                    "'\(Self.redacted(shown))' is not a PostgreSQL store URL: \(why); expected postgres://USER:PASSWORD@HOST:PORT/DATABASE"
            )
        }
        let scheme = url.prefix(while: { $0 != ":" }).lowercased()
        guard scheme == "postgres" || scheme == "postgresql" else { throw invalid("the scheme is not postgres") }
        let afterScheme = url.dropFirst(scheme.count + 1)
        guard afterScheme.hasPrefix("//") else { throw invalid("'//' is missing after 'postgres:'") }
        let rest = afterScheme.dropFirst(2)
        if let query = rest.firstIndex(of: "?") {
            throw invalid("options after '?' (\(rest[query...].dropFirst())) are not supported")
        }
        guard let at = rest.lastIndex(of: "@") else { throw invalid("it names no user (USER@ before the host)") }
        let credentials = rest[..<at]
        let location = rest[rest.index(after: at)...]
        var user = credentials
        var password: String?
        if let colon = credentials.firstIndex(of: ":") {
            user = credentials[..<colon]
            password = try Self.percentDecoded(credentials[credentials.index(after: colon)...], invalid)
        }
        guard !user.isEmpty else { throw invalid("the user name is empty") }
        var hostPort = location
        var database: String?
        if let slash = location.firstIndex(of: "/") {
            hostPort = location[..<slash]
            let name = location[location.index(after: slash)...]
            database = name.isEmpty ? nil : try Self.percentDecoded(name, invalid)
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
        self.init(host: String(host), port: port, username: try Self.percentDecoded(user, invalid), password: password, database: database)
    }

    /// `text` with the password of a `scheme://user:password@...` URL replaced by `***`.
    static func redacted(_ text: String) -> String {
        guard let scheme = text.firstRange(of: "://"), let at = text.lastIndex(of: "@"), scheme.upperBound < at,
            let colon = text[scheme.upperBound..<at].firstIndex(of: ":")
        else { return text }
        return String(text[..<text.index(after: colon)]) + "***" + String(text[at...])
    }

    private static func percentDecoded(_ text: Substring, _ invalid: (String) -> ElectionError) throws -> String {
        var bytes: [UInt8] = []
        var iterator = Array(text.utf8).makeIterator()
        while let byte = iterator.next() {
            guard byte == UInt8(ascii: "%") else {
                bytes.append(byte)
                continue
            }
            guard let high = iterator.next().flatMap(hexValue), let low = iterator.next().flatMap(hexValue) else {
                throw invalid("a '%' is not followed by two hexadecimal digits")
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
