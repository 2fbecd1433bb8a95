import Foundation
import LeaderElection
import LeaderElectionPostgres
import PostgresNIO
import Testing

/// Behaviour of PostgresBackend beyond the conformance suite, on a real server.
@Suite(
    "PostgreSQL backend",
    .serialized,
    .timeLimit(.minutes(5)),
    .enabled(if: PostgresTestServer.enabled, PostgresTestServer.skipReason)
)
struct PostgresBackendTests {
    @Test("withBackend returns when its body used nothing (a shutdown before run() ends it)")
    func emptyBody() async throws {
        let configuration = try await PostgresTestServer.freshDatabase()
        try await PostgresBackend.withBackend(configuration: configuration, logger: PostgresTestServer.logger) { _ in }
        let backend = try PostgresBackend(configuration: configuration, logger: PostgresTestServer.logger)
        backend.shutdown()
        try await backend.run()
    }

    @Test("a resignation wakes the waiting candidate by notification, long before its next poll")
    func notificationWakesWaiter() async throws {
        var configuration = try await PostgresTestServer.freshDatabase()
        configuration.pollInterval = .seconds(120)
        try await PostgresBackend.withBackend(configuration: configuration, logger: PostgresTestServer.logger) { backend in
            let leaderLease = try await backend.grantLease(ttl: .seconds(120))
            let waiterLease = try await backend.grantLease(ttl: .seconds(120))
            let leader = try await backend.campaign(election: "notify", lease: leaderLease, value: "leader")
            let waiter = try await backend.campaign(election: "notify", lease: waiterLease, value: "waiter")
            #expect(leader.token < waiter.token)
            #expect(leader.key == "notify/\(leaderLease)")
            try await backend.waitUntilLeader(leader)
            let clock = ContinuousClock()
            let elapsed = try await withThrowingTaskGroup(of: Duration.self) { group in
                group.addTask {
                    let start = clock.now
                    try await backend.waitUntilLeader(waiter)
                    return start.duration(to: clock.now)
                }
                // Give the waiter time to subscribe; it is correct either way, only slower to show.
                try await Task.sleep(for: .milliseconds(200))
                try await backend.resign(leader)
                let elapsed = try await group.next()!
                return elapsed
            }
            // The poll interval is 2 minutes and the lease 2 minutes: only the notification explains this.
            #expect(elapsed < .seconds(30))
            #expect(try await backend.leader(election: "notify") == waiter)
            try await backend.revokeLease(waiterLease)
            try await backend.revokeLease(leaderLease)
            #expect(try await backend.candidates(election: "notify").isEmpty)
        }
    }

    @Test("after the server drops every connection, the listener reconnects and a resignation still wakes the waiter at once")
    func listenerReconnects() async throws {
        var configuration = try await PostgresTestServer.freshDatabase()
        configuration.pollInterval = .seconds(120)
        try await PostgresBackend.withBackend(configuration: configuration, logger: PostgresTestServer.logger) { backend in
            let leaderLease = try await backend.grantLease(ttl: .seconds(120))
            let waiterLease = try await backend.grantLease(ttl: .seconds(120))
            let leader = try await backend.campaign(election: "reconnect", lease: leaderLease, value: "leader")
            let waiter = try await backend.campaign(election: "reconnect", lease: waiterLease, value: "waiter")
            try await PostgresTestServer.withAdminClient(configuration) { admin in
                var terminatedAt = Date.distantPast
                let times = try await admin.query(
                    "SELECT clock_timestamp(), count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )
                for try await (time, _) in times.decode((Date, Int).self) { terminatedAt = time }
                // Wait (on the server's word) for a listening connection opened after that.
                while true {
                    var listening = 0
                    let rows = try await admin.query(
                        "SELECT count(*)::int FROM pg_stat_activity WHERE datname = current_database() AND query ILIKE 'LISTEN%' AND backend_start > \(terminatedAt)"
                    )
                    for try await count in rows.decode(Int.self) { listening = count }
                    if listening > 0 { break }
                    try await Task.sleep(for: .milliseconds(20))
                }
            }
            let clock = ContinuousClock()
            let elapsed = try await withThrowingTaskGroup(of: Duration.self) { group in
                group.addTask {
                    let start = clock.now
                    // The first call may meet a dropped pool connection; the pool opens a new one.
                    while true {
                        do {
                            try await backend.waitUntilLeader(waiter)
                            return start.duration(to: clock.now)
                        } catch let error as ElectionError where error.code == .storeUnavailable {
                            continue
                        }
                    }
                }
                try await Task.sleep(for: .milliseconds(200))
                while true {
                    do {
                        try await backend.resign(leader)
                        break
                    } catch let error as ElectionError where error.code == .storeUnavailable {
                        continue
                    }
                }
                return try await group.next()!
            }
            #expect(elapsed < .seconds(30))
        }
    }

    @Test("leases expire on the server's clock; a renewal of an expired or revoked lease fails with leaseExpired")
    func leaseLifecycle() async throws {
        let configuration = try await PostgresTestServer.freshDatabase()
        try await PostgresBackend.withBackend(configuration: configuration, logger: PostgresTestServer.logger) { backend in
            // Long enough for the calls below on a loaded machine; the wait after them is on the
            // server's terms, not a sleep.
            let lease = try await backend.grantLease(ttl: .seconds(3))
            try await backend.renewLease(lease)
            let candidacy = try await backend.campaign(election: "life", lease: lease, value: "v")
            let again = try await backend.campaign(election: "life", lease: lease, value: "v")
            #expect(again == candidacy)
            // Wait on the server's terms: until it no longer lists the candidacy.
            while try await backend.leader(election: "life") != nil {
                try await Task.sleep(for: .milliseconds(20))
            }
            await #expect(throws: ElectionError.self) { try await backend.renewLease(lease) }
            await #expect(throws: ElectionError.self) {
                _ = try await backend.campaign(election: "life", lease: lease, value: "v")
            }
            let other = try await backend.grantLease(ttl: .seconds(30))
            let second = try await backend.campaign(election: "life", lease: other, value: "w")
            #expect(second.token > candidacy.token)
            try await backend.revokeLease(other)
            try await backend.revokeLease(other)
            do {
                try await backend.renewLease(other)
                Issue.record("renewing a revoked lease succeeded")
            } catch let error as ElectionError {
                #expect(error.code == .leaseExpired)
            }
        }
    }

    @Test("the schema is versioned; a database from a newer version is refused with a clear message")
    func schemaVersion() async throws {
        let configuration = try await PostgresTestServer.freshDatabase()
        try await PostgresBackend.withBackend(configuration: configuration, logger: PostgresTestServer.logger) { backend in
            _ = try await backend.leader(election: "schema")
        }
        try await PostgresTestServer.withAdminClient(configuration) { client in
            let rows = try await client.query("SELECT max(version) FROM leader_election_schema")
            for try await version in rows.decode(Int.self) { #expect(version == 1) }
            try await client.query("INSERT INTO leader_election_schema (version) VALUES (99)")
        }
        try await PostgresBackend.withBackend(configuration: configuration, logger: PostgresTestServer.logger) { backend in
            do {
                _ = try await backend.leader(election: "schema")
                Issue.record("a newer schema was accepted")
            } catch let error as ElectionError {
                #expect(error.code == .invalidStoreData)
                #expect(error.message.contains("upgrade"))
            }
        }
    }

    @Test("a backend whose run() is not running says so instead of hanging")
    func notRunning() async throws {
        var configuration = try PostgresTestServer.configuration()
        configuration.requestTimeout = .milliseconds(500)
        let backend = try PostgresBackend(configuration: configuration, logger: PostgresTestServer.logger)
        do {
            _ = try await backend.grantLease(ttl: .seconds(1))
            Issue.record("a lease was granted without run()")
        } catch let error as ElectionError {
            #expect(error.code == .invalidConfiguration)
            #expect(error.message.contains("run()"))
        }
    }

    @Test("an unreachable server fails with storeUnavailable naming the server")
    func unreachableServer() async throws {
        var configuration = PostgresConfiguration(host: "127.0.0.1", port: 1, username: "nobody", database: "none")
        configuration.requestTimeout = .seconds(2)
        try await PostgresBackend.withBackend(configuration: configuration, logger: PostgresTestServer.logger) { backend in
            do {
                _ = try await backend.grantLease(ttl: .seconds(1))
                Issue.record("a lease was granted by no server")
            } catch let error as ElectionError {
                #expect(error.code == .storeUnavailable)
                #expect(error.message.contains("127.0.0.1:1"))
            }
        }
    }
}
