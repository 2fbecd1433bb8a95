import LeaderElection
import TestSupport
import Testing

@testable import LeaderElectionEtcd

extension EtcdIntegrationTests {
    /// The keep-alive client against a real member behind a proxy that delays the member's
    /// answers on demand: every answer goes to the request it answers.
    @Suite("etcd lease keep-alive", .serialized, .timeLimit(.minutes(5)))
    struct EtcdKeepAliveTests {
        /// When the next renewal of the same lease is sent, relative to the first one's caller giving up.
        enum SecondRenewal: String, CustomTestStringConvertible, Sendable {
            case sentBeforeTheFirstGivesUp
            case sentAfterTheFirstGaveUp
            var testDescription: String { rawValue }
        }

        /// Renewal 1 of lease L is answered by etcd, but the answer is held at the proxy until the
        /// renewal's caller gave up. Then a renewal of another lease M and renewal 2 of L are
        /// answered, and held too. The held answers are let through one by one: renewal 1's (late),
        /// then M's, then renewal 2's. etcd answers one stream's requests in order, so when M's
        /// renewal returns, the late answer has been handled; renewal 2 must still be waiting then
        /// (the late answer was not credited to it, though it sent later), and must succeed
        /// with its own answer.
        @Test(
            "a late keep-alive answer is dropped, not credited to the next renewal",
            arguments: [SecondRenewal.sentBeforeTheFirstGivesUp, .sentAfterTheFirstGaveUp]
        )
        func lateAnswer(second order: SecondRenewal) async throws {
            try await EtcdCluster.with(members: 1) { cluster in
                let proxy = try HoldingProxy.start(upstreamPort: cluster.members[0].clientPort)
                defer { proxy.stop() }
                var configuration = EtcdConfiguration(endpoints: [.init(host: "127.0.0.1", port: proxy.port)])
                // The callers give up in this test, not the client: nothing may time out by itself.
                configuration.requestTimeout = .seconds(60)
                try await EtcdBackend.withBackend(configuration: configuration, logger: TestLogger.make()) { backend in
                    let lease = try await backend.grantLease(ttl: .seconds(60))
                    let other = try await backend.grantLease(ttl: .seconds(60))
                    // Opens the keep-alive stream.
                    try await backend.renewLease(lease)

                    proxy.hold()
                    let first = PendingRenewal(backend, lease)
                    try await waitForHeldAnswers(1, proxy, [first])
                    var later: [PendingRenewal] = []
                    func sendLater() async throws {
                        later.append(PendingRenewal(backend, other))
                        try await waitForHeldAnswers(2, proxy, later)
                        later.append(PendingRenewal(backend, lease))
                        try await waitForHeldAnswers(3, proxy, later)
                    }
                    if order == .sentBeforeTheFirstGivesUp { try await sendLater() }
                    first.task.cancel()
                    await #expect(throws: CancellationError.self) { _ = try await first.task.value }
                    if order == .sentAfterTheFirstGaveUp { try await sendLater() }
                    let (barrier, second) = (later[0], later[1])

                    // Renewal 1's late answer, then M's.
                    proxy.release(messages: 2)
                    let otherTTL = try await barrier.task.value
                    #expect(otherTTL > 0)
                    #expect(
                        second.outcome == nil,
                        "renewal 2 was completed by the late answer to renewal 1: \(String(describing: second.outcome))")

                    proxy.release(messages: 1)
                    let ttl = try await second.task.value
                    #expect(ttl > 0)

                    // The stream stays usable; a lease that is gone is reported as such.
                    proxy.resume()
                    try await backend.renewLease(lease)
                    try await backend.revokeLease(other)
                    let error = await #expect(throws: ElectionError.self) { try await backend.renewLease(other) }
                    #expect(error?.code == .leaseExpired)
                    try await backend.revokeLease(lease)
                }
            }
        }

        /// A member that takes a renewal and never answers (here: its answers are held forever):
        /// when the renewal's caller gives up after more than a tenth of the request timeout, the
        /// stream is taken as stuck and moves to the next member, where the next renewal succeeds.
        @Test("a renewal unanswered until its caller gives up moves the stream to the next member")
        func stuckMember() async throws {
            try await EtcdCluster.with(members: 2) { cluster in
                let proxy = try HoldingProxy.start(upstreamPort: cluster.members[0].clientPort)
                defer { proxy.stop() }
                let configuration = EtcdConfiguration(endpoints: [.init(host: "127.0.0.1", port: proxy.port), cluster.members[1].endpoint])
                try await EtcdBackend.withBackend(configuration: configuration, logger: TestLogger.make()) { backend in
                    let lease = try await backend.grantLease(ttl: .seconds(60))
                    try await backend.renewLease(lease)
                    proxy.hold()
                    // Gives up well after the 200 ms a serving member could take, as an election would.
                    let error = await #expect(throws: ElectionError.self) {
                        _ = try await backend.keepAlive.renew(lease.rawValue, timeout: .seconds(1))
                    }
                    #expect(error?.code == .storeUnavailable)
                    // At once, not after another request timeout on the stuck member.
                    try await backend.renewLease(lease)
                    #expect(proxy.heldMessages() >= 1)
                    try await backend.revokeLease(lease)
                }
            }
        }

        /// Waits until `count` answers are held at the proxy; fails at once when one of `pending`
        /// ends meanwhile (none can be answered while its answer is held).
        private func waitForHeldAnswers(_ count: Int, _ proxy: HoldingProxy, _ pending: [PendingRenewal]) async throws {
            try await waitUntil(timeout: .seconds(30)) { proxy.heldMessages() >= count || pending.contains { $0.outcome != nil } }
            for (index, renewal) in pending.enumerated() {
                try #require(
                    renewal.outcome == nil,
                    "renewal \(index + 1) of \(pending.count) ended before its answer was let through: \(String(describing: renewal.outcome))"
                )
            }
        }
    }
}

/// One keep-alive sent in a task of its own, so that a test can see whether it has finished yet.
final class PendingRenewal: Sendable {
    let task: Task<Int64, any Error>
    private let result: Locked<Result<Int64, any Error>?>

    init(_ backend: EtcdBackend, _ lease: LeaseID) {
        let result = Locked<Result<Int64, any Error>?>(nil)
        self.result = result
        let keepAlive = backend.keepAlive
        task = Task {
            do {
                let ttl = try await keepAlive.renew(lease.rawValue, timeout: .seconds(60)).ttl
                result.withLock { $0 = .success(ttl) }
                return ttl
            } catch {
                result.withLock { $0 = .failure(error) }
                throw error
            }
        }
    }

    /// The TTL answered or the error, once it finished.
    var outcome: Result<Int64, any Error>? { result.withLock { $0 } }
}
