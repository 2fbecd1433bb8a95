import LeaderElection
import LeaderElectionEtcd
import Testing

@Suite("etcd store URLs")
struct EtcdConfigurationTests {
    @Test func severalEndpoints() throws {
        let configuration = try EtcdConfiguration(url: "etcd://127.0.0.1:2379,localhost:22379,[::1]:32379")
        #expect(
            configuration.endpoints == [
                .init(host: "127.0.0.1", port: 2379), .init(host: "localhost", port: 22379), .init(host: "::1", port: 32379),
            ])
        #expect(configuration.tls == nil)
        #expect(configuration.credentials == nil)
    }

    @Test func tlsCredentialsAndTimeouts() throws {
        let configuration = try EtcdConfiguration(
            url:
                "etcds://app:s%40cret@etcd-1:2379?cacert=/etc/ca.pem&cert=/etc/c.pem&key=/etc/k.pem&request-timeout=500ms&connect-timeout=2s"
        )
        #expect(configuration.tls == .init(caFile: "/etc/ca.pem", certificateFile: "/etc/c.pem", keyFile: "/etc/k.pem"))
        #expect(configuration.credentials == .init(username: "app", password: "s@cret"))
        #expect(configuration.requestTimeout == .milliseconds(500))
        #expect(configuration.connectTimeout == .seconds(2))
    }

    @Test(arguments: [
        "etcd://", "etcd://host", "etcd://host:0", "etcd://host:2379,", "etcd://host:2379?cacert=/x", "etcds://h:1?cert=/c",
        "etcd://h:1?bogus=1", "etcd:h:1", "etcd://h:1?request-timeout=soon",
    ])
    func rejected(_ text: String) throws {
        #expect(throws: ElectionError.self) {
            _ = try EtcdConfiguration(url: text)
        }
    }
}
