/// The proxy mode's links: for each node, one ``TCPProxy`` per etcd member (client port) and one
/// to PostgreSQL, so that a node can be cut off from etcd or from the database on its own. The
/// sandbox stays direct, and etcd's peer traffic is not proxied (no member isolation here).
final class ProxyNetwork: Sendable {
    /// `etcd[node - 1][member - 1]`.
    private let etcd: [[TCPProxy]]
    /// `database[node - 1]`.
    private let database: [TCPProxy]

    private init(etcd: [[TCPProxy]], database: [TCPProxy]) {
        self.etcd = etcd
        self.database = database
    }

    static func start(nodes: Int, memberClientPorts: [Int], databasePort: Int) async throws -> ProxyNetwork {
        var etcd: [[TCPProxy]] = []
        var database: [TCPProxy] = []
        do {
            for node in 1...nodes {
                var links: [TCPProxy] = []
                for (offset, port) in memberClientPorts.enumerated() {
                    links.append(
                        try await TCPProxy.start(name: "node-\(node)→e\(offset + 1)", upstreamHost: "127.0.0.1", upstreamPort: port))
                }
                etcd.append(links)
                database.append(
                    try await TCPProxy.start(name: "node-\(node)→postgres", upstreamHost: "127.0.0.1", upstreamPort: databasePort))
            }
        } catch {
            for proxy in etcd.joined() + database { proxy.close() }
            throw error
        }
        return ProxyNetwork(etcd: etcd, database: database)
    }

    func etcdProxies(forNode node: Int) -> [TCPProxy] { etcd[node - 1] }
    func databaseProxy(forNode node: Int) -> TCPProxy { database[node - 1] }

    /// Every link of node `node`.
    func links(ofNode node: Int) -> [TCPProxy] { etcd[node - 1] + [database[node - 1]] }

    func close() {
        for proxy in etcd.joined() + database { proxy.close() }
    }
}
