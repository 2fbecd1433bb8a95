import LeaderElection
import LeaderElectionEtcd
import TestSupport
import Testing

extension EtcdIntegrationTests {
    /// Observing the leader against a real member whose history is compacted under the observer.
    @Suite("etcd leader observation", .serialized, .timeLimit(.minutes(5)))
    struct EtcdObservationTests {
        /// The observer reads the leader, then watches from just after the read. The proxy holds
        /// the observer's requests, so that between the read and the watch's creation the history
        /// the watch would start from is compacted: etcd cancels such a watch. The observation must
        /// read again and go on, however often that happens, with a leader and without one.
        @Test("observing the leader survives compactions of its watch's start revision and reports when there is none")
        func compaction() async throws {
            try await EtcdCluster.with(members: 1) { cluster in
                let proxy = try HoldingProxy.start(upstreamPort: cluster.members[0].clientPort)
                defer { proxy.stop() }
                let proxied = EtcdConfiguration(endpoints: [.init(host: "127.0.0.1", port: proxy.port)])
                try await EtcdBackend.withBackend(configuration: cluster.configuration(), logger: TestLogger.make()) { direct in
                    try await EtcdBackend.withBackend(configuration: proxied, logger: TestLogger.make()) { observer in
                        let leaseA = try await direct.grantLease(ttl: .seconds(60))
                        let a = try await direct.campaign(election: "observed", lease: leaseA, value: "a")

                        proxy.hold(.toMember)
                        let observed = ObservedLeaders(observer.watchLeader(election: "observed"))
                        defer { observed.task.cancel() }
                        // The first read: the leader is reported.
                        try await passRequest(proxy, observed)
                        try await observed.waitFor([a])
                        // More than the observation's allowance for failures in a row (3 with one member).
                        try await compactBetweenReadAndWatch(rounds: 5, proxy, observed, cluster)

                        // No leader: reported as nil (a delete the watch sees, then one read).
                        try await direct.revokeLease(leaseA)
                        try await passRequest(proxy, observed)
                        try await observed.waitFor([a, nil])
                        try await compactBetweenReadAndWatch(rounds: 5, proxy, observed, cluster)

                        proxy.resume()
                        let leaseB = try await direct.grantLease(ttl: .seconds(60))
                        let b = try await direct.campaign(election: "observed", lease: leaseB, value: "b")
                        try await observed.waitFor([a, nil, b])
                        try await direct.revokeLease(leaseB)
                        try await observed.waitFor([a, nil, b, nil])
                    }
                }
            }
        }

        /// The conformance suite drops the observer's connections right after it reported a
        /// value, which is mostly before its watch is open again: here the watch is open, the change
        /// it would report is held back, and the connections are dropped with it. The observation
        /// must reconnect by itself, read again and report the change it was never told about.
        @Test("observing the leader reports the changes whose watch events were lost with a dropped connection")
        func droppedConnectionWithOpenWatch() async throws {
            try await EtcdCluster.with(members: 1) { cluster in
                let proxy = try HoldingProxy.start(upstreamPort: cluster.members[0].clientPort)
                defer { proxy.stop() }
                try await EtcdBackend.withBackend(configuration: cluster.configuration(), logger: TestLogger.make()) { direct in
                    try await EtcdBackend.withBackend(configuration: .init(endpoints: [proxy.endpoint]), logger: TestLogger.make()) {
                        observer in
                        let observed = ObservedLeaders(observer.watchLeader(election: "dropped"))
                        defer { observed.task.cancel() }
                        try await observed.waitFor([nil])

                        let lease = try await direct.grantLease(ttl: .seconds(60))
                        try await loseWatchEventWithTheConnection(proxy, cluster) {
                            _ = try await direct.campaign(election: "dropped", lease: lease, value: "a")
                        }
                        let leader = try await direct.leader(election: "dropped")
                        try await observed.waitFor([nil, leader])

                        try await loseWatchEventWithTheConnection(proxy, cluster) {
                            try await direct.revokeLease(lease)
                        }
                        try await observed.waitFor([nil, leader, nil])
                    }
                }
            }
        }

        /// Waits until the observer's watch is open, holds what the member sends it, makes `change`,
        /// waits until the watch event is held, and drops the connection with it.
        private func loseWatchEventWithTheConnection(
            _ proxy: HoldingProxy, _ cluster: EtcdCluster, _ change: () async throws -> Void
        ) async throws {
            try await waitUntil(timeout: .seconds(30)) { ((try? await cluster.watchers()) ?? 0) >= 1 }
            proxy.hold(.fromMember)
            try await change()
            try await proxy.waitForHeld(1, .fromMember)
            proxy.cutConnections()
        }

        /// Lets the next request of the observer through.
        private func passRequest(_ proxy: HoldingProxy, _ observed: ObservedLeaders) async throws {
            try await waitUntil(timeout: .seconds(30)) { proxy.heldMessages(.toMember) >= 1 || observed.end != nil }
            try #require(observed.end == nil, "the observation ended: \(observed.end ?? "")")
            proxy.release(.toMember, messages: 1)
        }

        /// `rounds` times: the observer's read of the leader passes; its watch's creation is held
        /// while two writes and a compaction move the oldest kept revision past the watch's start.
        private func compactBetweenReadAndWatch(
            rounds: Int, _ proxy: HoldingProxy, _ observed: ObservedLeaders, _ cluster: EtcdCluster
        ) async throws {
            for round in 1...rounds {
                try await passRequest(proxy, observed)  // the read
                try await waitUntil(timeout: .seconds(30)) { proxy.heldMessages(.toMember) >= 1 || observed.end != nil }
                try await cluster.put("unrelated", "\(round)")
                let revision = try await cluster.put("unrelated", "\(round)+")
                try await cluster.compact(revision)
                try await passRequest(proxy, observed)  // the watch, from a compacted revision
            }
        }
    }
}

/// Collects what an observation reports, from a task of its own.
final class ObservedLeaders: Sendable {
    let task: Task<Void, Never>
    private let state: Locked<(values: [Candidacy?], end: String?)>

    init(_ stream: AsyncThrowingStream<Candidacy?, any Error>) {
        let state = Locked<(values: [Candidacy?], end: String?)>(([], nil))
        self.state = state
        task = Task {
            do {
                for try await leader in stream { state.withLock { $0.values.append(leader) } }
                state.withLock { $0.end = "finished" }
            } catch {
                state.withLock { $0.end = "\(error)" }
            }
        }
    }

    /// Everything reported so far.
    var values: [Candidacy?] { state.withLock { $0.values } }
    /// How the observation ended, if it did.
    var end: String? { state.withLock { $0.end } }

    /// Waits until exactly `expected` has been reported.
    func waitFor(_ expected: [Candidacy?], timeout: Duration = .seconds(30)) async throws {
        do {
            try await waitUntil(timeout: timeout) { self.values == expected || self.end != nil }
        } catch {
            throw TestFailure("observed \(values), expected \(expected)")
        }
        guard end == nil else { throw TestFailure("the observation ended (\(end ?? "")) after \(values); expected \(expected)") }
    }
}
