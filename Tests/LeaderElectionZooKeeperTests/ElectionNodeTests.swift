import NIOCore
import Testing

@testable import LeaderElectionZooKeeper

@Suite("ZooKeeper election znodes and jute")
struct ElectionNodeTests {
    @Test("contenders are kazoo's: PREFIX__lock__ and ten digits, ordered by sequence")
    func contenders() {
        let children = [
            "b5e0__lock__0000000012",
            "a9f1__lock__0000000003",
            "unrelated",
            "x__rlock__0000000001",
            "c__lock__12",
            "d__lock__0000000007",
        ]
        #expect(
            ElectionNode.contenders(children).map(\.name) == [
                "a9f1__lock__0000000003", "d__lock__0000000007", "b5e0__lock__0000000012",
            ])
    }

    @Test("election paths: a leading slash is the path itself, anything else goes under the root")
    func paths() {
        #expect(ElectionNode.electionPath("/services/billing", root: "/leader-election") == "/services/billing")
        #expect(ElectionNode.electionPath("renewals", root: "/leader-election") == "/leader-election/renewals")
        #expect(ElectionNode.electionPath("renewals", root: "/") == "/renewals")
        #expect(ElectionNode.ancestry(of: "/a/b/c") == ["/a", "/a/b", "/a/b/c"])
    }

    @Test("a ConnectRequest for a new session is the 45 bytes of the protocol")
    func connectRequest() throws {
        var buffer = ZooKeeperRequest.connect(lastZxidSeen: 0, timeoutMilliseconds: 4000, sessionID: 0, password: [])
        #expect(buffer.readableBytes == 4 + 8 + 4 + 8 + 4 + 16 + 1)
        #expect(try buffer.readJuteInt() == 0)
        #expect(try buffer.readJuteLong() == 0)
        #expect(try buffer.readJuteInt() == 4000)
    }

    @Test("jute strings and vectors round-trip; a truncated buffer is malformed, not a crash")
    func jute() throws {
        var buffer = ByteBuffer()
        buffer.writeJuteInt(2)
        buffer.writeJuteString("a")
        buffer.writeJuteString("bé")
        #expect(try buffer.readJuteStringVector() == ["a", "bé"])
        var truncated = ByteBuffer()
        truncated.writeJuteInt(10)
        truncated.writeBytes([1, 2])
        #expect(throws: ZooKeeperFailure.self) { _ = try truncated.readJuteBuffer() }
    }
}
