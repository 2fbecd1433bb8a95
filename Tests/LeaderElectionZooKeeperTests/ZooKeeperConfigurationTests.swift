import LeaderElection
import LeaderElectionZooKeeper
import Testing

@Suite("ZooKeeper store URLs")
struct ZooKeeperConfigurationTests {
    @Test func severalServers() throws {
        let configuration = try ZooKeeperConfiguration(url: "zookeeper://10.0.0.1:2181,zk2,[::1]:2182")
        #expect(
            configuration.endpoints == [
                .init(host: "10.0.0.1", port: 2181), .init(host: "zk2", port: 2181), .init(host: "::1", port: 2182),
            ])
        #expect(configuration.root == "/leader-election")
        #expect(configuration.description == "zookeeper://10.0.0.1:2181,zk2:2181,[::1]:2182")
    }

    @Test func rootPath() throws {
        let configuration = try ZooKeeperConfiguration(url: "zookeeper://zk:2181/services/elections")
        #expect(configuration.root == "/services/elections")
    }

    @Test(arguments: [
        ("zookeeper://zk:99999", "port"),
        ("zookeeper://zk1,,zk2", "empty"),
        ("zookeeper://:2181", "host"),
        ("zookeeper:zk:2181", "//"),
        ("zookeeper://zk?x=1", "options"),
    ])
    func rejects(url: String, mentioning word: String) throws {
        do {
            _ = try ZooKeeperConfiguration(url: url)
            Issue.record("\(url) was accepted")
        } catch let error as ElectionError {
            #expect(error.code == .invalidStoreURL)
            #expect(error.message.contains(word), "\(error.message)")
        }
    }
}
