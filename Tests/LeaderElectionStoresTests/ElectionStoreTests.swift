import Foundation
import LeaderElection
import LeaderElectionEtcd
import LeaderElectionPostgres
import LeaderElectionSQLite
import LeaderElectionStores
import LeaderElectionZooKeeper
import Logging
import Testing

@Suite("Turning a store URL into a backend", .timeLimit(.minutes(1)))
struct ElectionStoreTests {
    let logger = Logger(label: "election-store-tests", factory: { _ in SwiftLogNoOpLogHandler() })

    /// A fresh directory, removed after `body`.
    func withTemporaryDirectory<T>(_ body: (String) async throws -> T) async throws -> T {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("election-store-tests-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: path) }
        return try await body(path)
    }

    func thrownError(_ body: () async throws -> Void) async -> ElectionError? {
        do {
            try await body()
            return nil
        } catch {
            return error as? ElectionError
        }
    }

    @Test func everySchemeIsAccepted() {
        #expect(ElectionStore.schemes == ["sqlite", "etcd", "etcds", "postgres", "postgresql", "zookeeper"])
    }

    @Test func unknownSchemeNamesTheAcceptedForms() async throws {
        let error = try #require(await thrownError { _ = try ElectionStore.backend(url: StoreURL("zk://host:2181"), logger: logger) })
        #expect(error.code == .invalidStoreURL)
        #expect(error.message.contains("'zk'"))
        #expect(error.message.contains(ElectionStore.acceptedForms))
    }

    @Test func networkSchemesSelectTheirBackends() throws {
        let etcd = try ElectionStore.backend(url: StoreURL("etcd://127.0.0.1:2379,127.0.0.1:22379"), logger: logger)
        #expect((etcd as? EtcdBackend)?.configuration.endpoints.count == 2)
        let etcds = try ElectionStore.backend(url: StoreURL("etcds://etcd-1:2379"), logger: logger)
        #expect((etcds as? EtcdBackend)?.configuration.tls != nil)
        let postgres = try ElectionStore.backend(url: StoreURL("postgresql://app:secret@db.example:6543/elections"), logger: logger)
        #expect((postgres as? PostgresBackend)?.configuration.port == 6543)
        #expect((postgres as? PostgresBackend)?.configuration.database == "elections")
        let zookeeper = try ElectionStore.backend(url: StoreURL("zookeeper://zk1:2181,zk2/services"), logger: logger)
        #expect((zookeeper as? ZooKeeperBackend)?.configuration.endpoints.count == 2)
        #expect((zookeeper as? ZooKeeperBackend)?.configuration.root == "/services")
    }

    @Test(arguments: [
        ("etcd://host", "HOST:PORT"),
        ("postgres://db:5432/x", "user"),
        ("zookeeper://zk:99999", "port"),
    ])
    func backendsReadTheirOwnURLs(text: String, word: String) async throws {
        let error = try #require(await thrownError { _ = try ElectionStore.backend(url: StoreURL(text), logger: logger) })
        #expect(error.code == .invalidStoreURL)
        #expect(error.message.contains(word), "\(error.message)")
    }

    @Test func sqliteRunsOnTheFileNamed() async throws {
        try await withTemporaryDirectory { directory in
            let path = "\(directory)/election.db"
            let backend = try ElectionStore.backend(url: StoreURL("sqlite:\(path)"), logger: logger)
            #expect((backend as? SQLiteBackend)?.path == path)
            let leader = try await ElectionStore.withBackend(url: StoreURL("sqlite://\(path)"), logger: logger) { backend in
                let lease = try await backend.grantLease(ttl: .seconds(30))
                _ = try await backend.campaign(election: "jobs", lease: lease, value: "first")
                return try await backend.leader(election: "jobs")?.value
            }
            #expect(leader == "first")
            #expect(FileManager.default.fileExists(atPath: path))
        }
    }

    @Test func sqliteInAMissingDirectorySaysHowToCreateIt() async throws {
        try await withTemporaryDirectory { directory in
            let error = try #require(
                await thrownError {
                    try await ElectionStore.withBackend(url: StoreURL("sqlite:\(directory)/missing/election.db"), logger: logger) { _ in
                        _ = Issue.record("the body ran although the store could not be opened")
                    }
                })
            #expect(error.code == .storeUnavailable)
            #expect(error.message.contains("mkdir -p '\(directory)/missing'"))
        }
    }

    @Test func sqliteFileThatIsNoDatabaseFailsBeforeTheBody() async throws {
        try await withTemporaryDirectory { directory in
            let path = "\(directory)/garbage.db"
            try Data((0..<4096).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }).write(to: URL(fileURLWithPath: path))
            let error = try #require(
                await thrownError {
                    try await ElectionStore.withBackend(url: StoreURL("sqlite:\(path)"), logger: logger) { _ -> Void in
                        Issue.record("the body ran on a file that is not a database")
                    }
                })
            #expect(error.code == .invalidStoreData)
            #expect(error.message.contains(path))
        }
    }
}
