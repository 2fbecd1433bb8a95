import Foundation

/// The PostgreSQL election backend's store: a PostgreSQL server of its own (member 1 of the
/// ``NetworkLab``, in its own namespace when there are namespaces), distinct from the billing
/// database, that the harness can pause, kill and restart.
final class PostgresCoordination: CoordinationCluster {
    let instance: PostgresInstance
    private let lab: NetworkLab
    var kind: CoordinationKind { .postgres }
    var servers: [SupervisedProcess] { [instance.process] }
    var isReplicated: Bool { false }
    var roundTripRequest: [UInt8] { RoundTrip.postgresRequest }

    init(lab: NetworkLab, directory: String) throws {
        precondition(lab.memberCount == 1, "the PostgreSQL coordination store is one server")
        self.lab = lab
        let endpoint = lab.memberEndpoint(1)
        let data = "\(directory)/coordination-pg"
        try FileManager.default.createDirectory(atPath: data, withIntermediateDirectories: true)
        instance = try PostgresInstance(
            name: "coordination-postgres", directory: data, listenAddresses: Array(Set(["127.0.0.1", endpoint.host])),
            port: endpoint.client, launchPrefix: lab.inMemberNamespace(1, []))
    }

    /// Starts the server (initialising its database the first time) and waits until it accepts connections.
    func start() async throws {
        try await instance.start()
        try instance.createDatabase()
    }

    func coordinationURL(forNode index: Int) -> String {
        let endpoint = lab.coordinationEndpoints(forNode: index)[0]
        return instance.url(host: endpoint.host, port: endpoint.port)
    }

    var observerURL: String { instance.url(host: lab.memberEndpoint(1).host) }

    func serverName(_ index: Int) -> String { "coordination PostgreSQL" }

    func startAll() async throws {
        if instance.process.current == .down { try await instance.start() }
    }

    func leaderIndex() async -> Int? { instance.process.isRunning ? 1 : nil }
}
