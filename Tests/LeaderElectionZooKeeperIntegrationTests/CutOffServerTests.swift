import Foundation
import LeaderElection
import TestSupport
import Testing

@testable import LeaderElectionZooKeeper

extension ZooKeeperIntegrationTests {
    /// A server of a three-server ensemble cut off from the other two (network namespaces, see
    /// ``PartitionableNetwork``) while its clients still reach it.
    ///
    /// Mostly server 1 is the one cut: a fresh ensemble never elects it (the first quorum votes for
    /// its highest server id), so it is a follower, which keeps answering its clients on its own
    /// until it notices the lost leader, `syncLimit` ticks later (here 25 × 200 ms = 5 s). Meanwhile
    /// the other two expire the sessions it can no longer vouch for. One test cuts server 3, the
    /// ensemble's leader, which answers syncs on its own for those ticks.
    @Suite(
        "a ZooKeeper server cut off from its ensemble",
        .serialized,
        .timeLimit(.minutes(3)),
        .enabled(if: PartitionableNetwork.available, Comment(rawValue: PartitionableNetwork.unavailable))
    )
    struct CutOffServerTests {
        @Test("two leader processes: the one whose server is cut off stops leading before the other is elected")
        func leaderOnCutOffServer() async throws {
            let leader = try LeaderBinary.path()
            try await ZooKeeperEnsemble.with(servers: 3, partitionable: true) { ensemble in
                let cut = ensemble.servers[0]
                let rest = Array(ensemble.servers.dropFirst())
                try #require(try ensemble.mode(of: cut) == "follower", "server 1 should be a follower of a fresh ensemble")
                let election = "cut-off"
                // The first candidate knows only the server that will be cut, so its session is there;
                // the second knows only the other two. Both with the default TTL (5 s).
                let first = try TestProcess.start(
                    leader, ["campaign", election, "first", "--store", "zookeeper://" + ensemble.connectString(of: [cut]), "--id", "first"])
                defer { first.kill() }
                let firstElected = try await Self.event(first, "elected")
                let second = try TestProcess.start(
                    leader,
                    ["campaign", election, "second", "--store", "zookeeper://" + ensemble.connectString(of: rest), "--id", "second"])
                defer { second.kill() }
                try await ZooKeeperBackend.withBackend(configuration: ensemble.configuration(of: rest), logger: TestLogger.make()) {
                    backend in
                    _ = try await Poll.until("the second candidacy") {
                        try await backend.candidates(election: election).count >= 2 ? true : nil
                    }
                }

                let cutAt = LeaderEvent.now()
                try ensemble.isolate(cut)
                let secondElected = try await Self.event(second, "elected")
                let firstLost = try await Self.event(first, "lost")

                // The body is cancelled at the local deadline at the latest; the `lost` line follows
                // once the lease's revocation was tried (up to a renewal interval later).
                let deadline = firstLost.nanoseconds("deadline_mono_ns") ?? firstLost.monoNanoseconds
                let firstEnded = min(firstLost.monoNanoseconds, deadline)
                func seconds(_ nanoseconds: Int64) -> String { String(format: "%+.2f s", Double(nanoseconds) / 1e9) }
                let summary = """
                    cut-off follower: after the cut, first stopped leading at \(seconds(firstEnded - cutAt)) \
                    (deadline \(seconds(deadline - cutAt)), lost line \(seconds(firstLost.monoNanoseconds - cutAt)), \
                    cause \(firstLost.fields["cause"] ?? "?")); second elected at \(seconds(secondElected.monoNanoseconds - cutAt)); \
                    gap \(seconds(secondElected.monoNanoseconds - firstEnded))
                    """
                print(summary)
                #expect(firstLost.fields["key"] == firstElected.fields["key"])
                #expect(
                    firstEnded < secondElected.monoNanoseconds,
                    "two leaders for \(seconds(firstEnded - secondElected.monoNanoseconds)): \(summary)"
                )
            }
        }

        @Test("the cut-off server still answers pings, but neither a sync nor a lease renewal")
        func renewalThroughCutOffServer() async throws {
            try await ZooKeeperEnsemble.with(servers: 3, partitionable: true) { ensemble in
                let cut = ensemble.servers[0]
                try #require(try ensemble.mode(of: cut) == "follower", "server 1 should be a follower of a fresh ensemble")
                var configuration = ensemble.configuration(of: [cut])
                configuration.requestTimeout = .seconds(2)
                try await ZooKeeperBackend.withBackend(configuration: configuration, logger: TestLogger.make()) { backend in
                    let lease = try await backend.grantLease(ttl: .seconds(3))
                    try await backend.renewLease(lease)
                    let session = try await ZooKeeperSession.open(
                        endpoints: [.init(host: cut.host, port: cut.clientPort)],
                        timeoutMilliseconds: 6000,
                        connectTimeout: .seconds(1),
                        replyTimeout: .seconds(1),
                        group: backend.group,
                        router: WatchRouter()
                    )
                    defer { session.abandon() }
                    try await session.sync()

                    try ensemble.isolate(cut)
                    // Answered by the server alone: it does not know yet that it lost the ensemble.
                    try await session.ping()
                    await #expect(throws: ZooKeeperFailure.self, "a sync was answered by a server cut off from the leader") {
                        try await session.sync()
                    }
                    do {
                        try await backend.renewLease(lease)
                        Issue.record("a renewal was acknowledged through a server cut off from the ensemble")
                    } catch let error as ElectionError {
                        #expect(error.code == .storeUnavailable, "\(error)")
                    }
                }
            }
        }

        @Test("the ensemble's leader cut off from its followers may answer a sync, but not a lease renewal")
        func renewalThroughCutOffEnsembleLeader() async throws {
            try await ZooKeeperEnsemble.with(servers: 3, partitionable: true) { ensemble in
                // A fresh ensemble elects its highest server id.
                let cut = ensemble.servers[2]
                try #require(try ensemble.mode(of: cut) == "leader", "server 3 should lead a fresh ensemble")
                var configuration = ensemble.configuration(of: [cut])
                configuration.requestTimeout = .seconds(2)
                try await ZooKeeperBackend.withBackend(configuration: configuration, logger: TestLogger.make()) { backend in
                    let lease = try await backend.grantLease(ttl: .seconds(3))
                    try await backend.renewLease(lease)

                    try ensemble.isolate(cut)
                    // The cut-off leader keeps answering until it notices it lost its quorum (up to
                    // syncLimit ticks, 5 s here); the other two elect a new leader meanwhile. Whether
                    // it answers a sync is the server's affair; a renewal must not be acknowledged.
                    do {
                        try await backend.renewLease(lease)
                        Issue.record("a renewal was acknowledged by an ensemble leader cut off from its quorum")
                    } catch let error as ElectionError {
                        #expect(error.code == .storeUnavailable || error.code == .leaseExpired, "\(error)")
                    }
                }
            }
        }

        /// The first event line named `name` that `process` prints (waiting up to a minute).
        static func event(_ process: TestProcess, _ name: String) async throws -> LeaderEvent {
            let line = try await process.waitForLine { LeaderEvent($0)?.name == name }
            return try #require(LeaderEvent(line))
        }
    }
}
