import LeaderElection

extension ZooKeeperConfiguration {
    /// Reads `zookeeper://HOST:PORT[,HOST:PORT...][/ROOT]`; a server without a port uses 2181.
    /// - Throws: `ElectionError.Code.invalidStoreURL` saying what is wrong.
    public init(url: String) throws {
        func invalid(_ why: String) -> ElectionError {
            ElectionError(
                code: .invalidStoreURL,
                message: "'\(url)' is not a ZooKeeper store URL: \(why); expected zookeeper://HOST:PORT[,HOST:PORT...]")
        }
        let scheme = url.prefix(while: { $0 != ":" }).lowercased()
        guard scheme == "zookeeper" else { throw invalid("the scheme is not zookeeper") }
        let rest = url.dropFirst(scheme.count + 1)
        guard rest.hasPrefix("//") else { throw invalid("'//' is missing after 'zookeeper:'") }
        var hosts = rest.dropFirst(2)
        var root = "/leader-election"
        if let query = hosts.firstIndex(of: "?") {
            throw invalid("options after '?' (\(hosts[query...].dropFirst())) are not supported")
        }
        if let slash = hosts.firstIndex(of: "/") {
            let path = hosts[slash...]
            hosts = hosts[..<slash]
            if path != "/" {
                guard !path.hasSuffix("/") else { throw invalid("the root path '\(path)' ends with '/'") }
                root = String(path)
            }
        }
        var endpoints: [Endpoint] = []
        for item in hosts.split(separator: ",", omittingEmptySubsequences: false) {
            guard !item.isEmpty else { throw invalid("a server between commas is empty") }
            var host = item
            var port = 2181
            if let colon = item.lastIndex(of: ":"), !item.hasSuffix("]") {
                host = item[..<colon]
                guard let parsed = Int(item[item.index(after: colon)...]), (1...65535).contains(parsed) else {
                    throw invalid("the port of '\(item)' is not a number between 1 and 65535")
                }
                port = parsed
            }
            if host.hasPrefix("["), host.hasSuffix("]") { host = host.dropFirst().dropLast() }
            guard !host.isEmpty else { throw invalid("'\(item)' names no host") }
            endpoints.append(Endpoint(host: String(host), port: port))
        }
        self.init(endpoints: endpoints, root: root)
    }
}
