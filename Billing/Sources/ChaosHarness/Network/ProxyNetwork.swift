/// The proxy mode's links: for each node, one ``TCPProxy`` per coordination server (client port)
/// and one to PostgreSQL, so that a node can be cut off from the coordination store or from the
/// database on its own. The sandbox stays direct, and the servers' peer traffic is not proxied (no
/// faults between servers here).
final class ProxyNetwork: Sendable {
    /// `coordination[node - 1][member - 1]`.
    private let coordination: [[TCPProxy]]
    /// `database[node - 1]`.
    private let database: [TCPProxy]

    private init(coordination: [[TCPProxy]], database: [TCPProxy]) {
        self.coordination = coordination
        self.database = database
    }

    static func start(nodes: Int, memberClientPorts: [Int], databasePort: Int) async throws -> ProxyNetwork {
        var coordination: [[TCPProxy]] = []
        var database: [TCPProxy] = []
        do {
            for node in 1...nodes {
                var links: [TCPProxy] = []
                for (offset, port) in memberClientPorts.enumerated() {
                    links.append(
                        try await TCPProxy.start(name: "node-\(node)→s\(offset + 1)", upstreamHost: "127.0.0.1", upstreamPort: port))
                }
                coordination.append(links)
                database.append(
                    try await TCPProxy.start(name: "node-\(node)→postgres", upstreamHost: "127.0.0.1", upstreamPort: databasePort))
            }
        } catch {
            for proxy in coordination.joined() + database { proxy.close() }
            throw error
        }
        return ProxyNetwork(coordination: coordination, database: database)
    }

    func coordinationProxies(forNode node: Int) -> [TCPProxy] { coordination[node - 1] }
    func databaseProxy(forNode node: Int) -> TCPProxy { database[node - 1] }

    /// Every link of node `node`.
    func links(ofNode node: Int) -> [TCPProxy] { coordination[node - 1] + [database[node - 1]] }

    func close() {
        for proxy in coordination.joined() + database { proxy.close() }
    }
}
