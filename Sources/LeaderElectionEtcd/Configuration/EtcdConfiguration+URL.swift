import LeaderElection

extension EtcdConfiguration {
    /// The accepted store URL forms, for messages.
    static let urlForms =
        "etcd://[USER:PASSWORD@]HOST:PORT[,HOST:PORT...][?OPTIONS] or etcds://... for TLS, with OPTIONS among cacert=PATH, cert=PATH, key=PATH, connect-timeout=DURATION, request-timeout=DURATION (for example 500ms or 2s)"

    /// Reads a store URL: `etcd://[user:password@]host:port[,host:port...][?options]`, or
    /// `etcds://` for TLS. Options: `cacert`, `cert`, `key` (PEM files), `connect-timeout`,
    /// `request-timeout` (`500ms`, `2s`).
    /// - Throws: `ElectionError.Code.invalidStoreURL` naming what is wrong.
    public init(url: String) throws {
        func invalid(_ problem: String) -> ElectionError {
            ElectionError(code: .invalidStoreURL, message: "etcd store URL '\(url)': \(problem); expected \(Self.urlForms)")
        }
        let scheme = url.prefix(while: { $0 != ":" }).lowercased()
        guard scheme == "etcd" || scheme == "etcds" else { throw invalid("the scheme must be etcd or etcds") }
        let rest = url.dropFirst(scheme.count + 1)
        guard rest.hasPrefix("//") else { throw invalid("the scheme must be followed by //") }
        var location = rest.dropFirst(2)
        var query: Substring = ""
        if let mark = location.firstIndex(of: "?") {
            query = location[location.index(after: mark)...]
            location = location[..<mark]
        }
        while location.hasSuffix("/") { location = location.dropLast() }
        var credentials: Credentials?
        if let at = location.lastIndex(of: "@") {
            let userInfo = location[..<at]
            location = location[location.index(after: at)...]
            guard let colon = userInfo.firstIndex(of: ":"), colon != userInfo.startIndex else {
                throw invalid("the user part must be USER:PASSWORD")
            }
            credentials = Credentials(
                username: Self.percentDecoded(userInfo[..<colon]),
                password: Self.percentDecoded(userInfo[userInfo.index(after: colon)...])
            )
        }
        var endpoints: [Endpoint] = []
        for part in location.split(separator: ",", omittingEmptySubsequences: false) {
            guard let endpoint = Self.endpoint(part) else { throw invalid("'\(part)' is not HOST:PORT") }
            endpoints.append(endpoint)
        }
        self.init(endpoints: endpoints, credentials: credentials)
        var tls: TLS? = scheme == "etcds" ? TLS() : nil
        for pair in query.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1)
            let key = String(parts[0])
            let value = parts.count > 1 ? Self.percentDecoded(parts[1]) : ""
            switch key {
            case "cacert", "cert", "key":
                guard tls != nil else { throw invalid("option \(key) needs TLS: use etcds://") }
                if key == "cacert" { tls?.caFile = value }
                if key == "cert" { tls?.certificateFile = value }
                if key == "key" { tls?.keyFile = value }
            case "connect-timeout", "request-timeout":
                guard let duration = Self.duration(value) else { throw invalid("\(key)=\(value) is not a duration such as 500ms or 2s") }
                if key == "connect-timeout" { connectTimeout = duration } else { requestTimeout = duration }
            default:
                throw invalid("unknown option '\(key)'")
            }
        }
        self.tls = tls
        do {
            try validate()
        } catch let error as ElectionError {
            throw invalid(error.message)
        }
    }

    private static func endpoint(_ text: Substring) -> Endpoint? {
        var host: Substring
        var portText: Substring
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else { return nil }
            host = text[text.index(after: text.startIndex)..<close]
            let rest = text[text.index(after: close)...]
            guard rest.hasPrefix(":") else { return nil }
            portText = rest.dropFirst()
        } else {
            guard let colon = text.lastIndex(of: ":") else { return nil }
            host = text[..<colon]
            portText = text[text.index(after: colon)...]
        }
        guard !host.isEmpty, let port = Int(portText), (1...65535).contains(port) else { return nil }
        return Endpoint(host: String(host), port: port)
    }

    private static func duration(_ text: String) -> Duration? {
        if text.hasSuffix("ms"), let value = Double(text.dropLast(2)), value > 0 { return .milliseconds(value) }
        if text.hasSuffix("s"), let value = Double(text.dropLast()), value > 0 { return .milliseconds(value * 1000) }
        return nil
    }

    private static func percentDecoded(_ text: Substring) -> String {
        var bytes: [UInt8] = []
        var index = text.utf8.startIndex
        let utf8 = text.utf8
        while index < utf8.endIndex {
            let byte = utf8[index]
            if byte == UInt8(ascii: "%"),
                let high = utf8.index(index, offsetBy: 1, limitedBy: utf8.endIndex), high < utf8.endIndex,
                let low = utf8.index(index, offsetBy: 2, limitedBy: utf8.endIndex), low < utf8.endIndex,
                let value = UInt8(String(decoding: [utf8[high], utf8[low]], as: UTF8.self), radix: 16)
            {
                bytes.append(value)
                index = utf8.index(index, offsetBy: 3)
            } else {
                bytes.append(byte)
                index = utf8.index(after: index)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
