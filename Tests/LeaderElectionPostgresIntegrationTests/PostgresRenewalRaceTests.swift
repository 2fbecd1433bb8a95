import Foundation
import LeaderElection
import LeaderElectionPostgres
import PostgresNIO
import TestSupport
import Testing

/// A renewal that began before its lease's expiry and commits after it must never be overtaken by
/// a waiter: a lease is dead only when the reaper, which locks its row, has decided so.
///
/// The test stages the race on a real server, step by step, with locks instead of timing:
/// 1. The waiter's reaper is made to stop (on a lock the test holds on a dummy expired lease)
///    after it scanned the leases, while the leader's lease is still live.
/// 2. The leader's lease is set to expire soon; a renewal of it starts before that expiry and is
///    held before its commit (a trigger waits on an advisory lock the test holds).
/// 3. Once the server's clock has passed the old expiry, the test lets the waiter go on.
/// The waiter must then wait for the renewal's fate instead of leading.
@Suite(
    "PostgreSQL backend: renewal committing past expiry",
    .serialized,
    .timeLimit(.minutes(3)),
    .enabled(if: PostgresTestServer.enabled, PostgresTestServer.skipReason)
)
struct PostgresRenewalRaceTests {
    /// The advisory lock the renewal trigger waits on while the test holds it.
    static let renewalHoldKey: Int64 = 0x5EED_0015

    @Test("a waiter does not lead while its predecessor's renewal, begun before the expiry, is still committing")
    func waiterWaitsForRenewalInFlight() async throws {
        var configuration = try await PostgresTestServer.freshDatabase()
        // The waiter wakes only when the test notifies it, or at the leader's expiry.
        configuration.pollInterval = .seconds(120)
        try await PostgresBackend.withBackend(configuration: configuration, logger: PostgresTestServer.logger) { backend in
            let leaderLease = try await backend.grantLease(ttl: .seconds(120))
            let waiterLease = try await backend.grantLease(ttl: .seconds(120))
            let leader = try await backend.campaign(election: "race", lease: leaderLease, value: "leader")
            let waiter = try await backend.campaign(election: "race", lease: waiterLease, value: "waiter")
            try await PostgresTestServer.withAdminClient(configuration) { admin in
                let staging = RaceStaging(admin: admin, leaderLease: leaderLease, election: "race", leaderToken: leader.token)
                try await staging.installRenewalHold()
                let led = Locked(false)
                try await withThrowingTaskGroup(of: Void.self) { group in
                    group.addTask {
                        try await backend.waitUntilLeader(waiter)
                        led.withLock { $0 = true }
                    }
                    // 1. Stop the waiter's reaper after its scan, on a dummy expired lease.
                    let (dummyLease, dummy) = try await staging.lockedExpiredLease()
                    try await staging.waitUntil("the waiter's reaper waits for the dummy lease") {
                        // Notified again until it shows: the first may come before the waiter listens.
                        try await staging.wakeWaiter()
                        return try await staging.reapersWaitingOnLocks() == 1
                    }
                    // 2. The leader's lease expires in 1 s; a renewal starts before that and is held.
                    let renewalHold = try await staging.holdRenewals()
                    let expiry = try await staging.expireLeaderLease(in: .seconds(1))
                    let renewal = Task { try await backend.renewLease(leaderLease) }
                    try await staging.waitUntil("the renewal is held before its commit") {
                        try await staging.renewalsHeld() == 1
                    }
                    try #require(
                        try await staging.serverTimeIsBefore(expiry),
                        "the renewal was not under way before the lease's old expiry; the machine is too slow for this staging"
                    )
                    // 3. Past the old expiry, let the waiter's reaper go on.
                    try await staging.waitUntil("the server's clock passes the old expiry") {
                        try await !staging.serverTimeIsBefore(expiry)
                    }
                    try await dummy.release()
                    // Either the waiter leads (the hole), or its next reap waits for the renewal.
                    try await staging.waitUntil("the waiter leads or waits for the renewal's fate") {
                        if led.withLock({ $0 }) { return true }
                        let dummyGone = try await !staging.leaseExists(dummyLease)
                        guard dummyGone else { return false }
                        return try await staging.reapersWaitingOnLocks() == 1
                    }
                    #expect(
                        !led.withLock { $0 }, "the waiter led while the leader's renewal, begun before the expiry, was still committing")
                    try await renewalHold.release()
                    try await renewal.value
                    // The renewal stood: the leader still leads, and the waiter still waits.
                    #expect(try await backend.leader(election: "race") == leader)
                    try await backend.revokeLease(leaderLease)
                    try await group.next()
                    #expect(led.withLock { $0 })
                }
            }
            try await backend.revokeLease(waiterLease)
        }
    }
}

/// The database-side pieces of the staged race, through a plain client.
private struct RaceStaging: Sendable {
    let admin: PostgresClient
    let leaderLease: LeaseID
    let election: String
    let leaderToken: FencingToken

    /// A connection kept in a transaction (or holding a session lock) until ``release()``.
    struct HeldConnection: Sendable {
        let releaseSignal: AsyncStream<Void>.Continuation
        let finished: Task<Void, any Error>

        /// Ends the hold: runs the teardown on the held connection.
        func release() async throws {
            releaseSignal.yield()
            releaseSignal.finish()
            try await finished.value
        }
    }

    /// Runs `setup` on a connection of its own, returns its result, and keeps the connection (and
    /// whatever it holds) until the hold is released; `teardown` then runs on it.
    func hold<T: Sendable>(
        setup: @escaping @Sendable (PostgresConnection) async throws -> T,
        teardown: @escaping @Sendable (PostgresConnection) async throws -> Void
    ) async throws -> (T, HeldConnection) {
        let (releases, releaseSignal) = AsyncStream<Void>.makeStream()
        let (ready, readySignal) = AsyncStream<T>.makeStream()
        let admin = self.admin
        let finished = Task {
            defer { readySignal.finish() }
            try await admin.withConnection { connection in
                readySignal.yield(try await setup(connection))
                for await _ in releases { break }
                try await teardown(connection)
            }
        }
        var iterator = ready.makeAsyncIterator()
        guard let value = await iterator.next() else {
            try await finished.value
            throw ElectionError(code: .invalidStoreData, message: "the held connection ended before it was ready")
        }
        return (value, HeldConnection(releaseSignal: releaseSignal, finished: finished))
    }

    /// Installs a trigger that, while the test holds the advisory lock, holds back the commit of
    /// any renewal (an update that moves the leader lease's expiry later).
    func installRenewalHold() async throws {
        try await admin.query(
            PostgresQuery(
                unsafeSQL: """
                    CREATE FUNCTION test_hold_renewal() RETURNS trigger LANGUAGE plpgsql AS $$
                    BEGIN
                        IF NEW.id = \(leaderLease.rawValue) AND NEW.expires_at > OLD.expires_at THEN
                            PERFORM pg_advisory_lock(\(PostgresRenewalRaceTests.renewalHoldKey));
                            PERFORM pg_advisory_unlock(\(PostgresRenewalRaceTests.renewalHoldKey));
                        END IF;
                        RETURN NEW;
                    END $$
                    """
            )
        )
        try await admin.query(
            PostgresQuery(
                unsafeSQL:
                    "CREATE TRIGGER test_hold_renewal AFTER UPDATE ON leader_election_leases FOR EACH ROW EXECUTE FUNCTION test_hold_renewal()"
            )
        )
    }

    /// Inserts a lease with no candidacy, locks its row, and returns once it has expired (the
    /// row stays locked until the hold is released). It is locked before it expires, so no reaper
    /// can take it first.
    func lockedExpiredLease() async throws -> (LeaseID, HeldConnection) {
        try await hold { connection in
            var id: Int64?
            var expiry: Date?
            let rows = try await connection.query(
                """
                INSERT INTO leader_election_leases (id, ttl_us, expires_at)
                VALUES (nextval('leader_election_lease_ids'), 1, clock_timestamp() + interval '200 milliseconds')
                RETURNING id, expires_at
                """,
                logger: PostgresTestServer.logger
            )
            for try await (value, expires) in rows.decode((Int64, Date).self) { (id, expiry) = (value, expires) }
            guard let id, let expiry else { throw ElectionError(code: .invalidStoreData, message: "no id for the dummy lease") }
            try await connection.query("BEGIN", logger: PostgresTestServer.logger)
            var locked = false
            let lock = try await connection.query(
                "SELECT clock_timestamp() < \(expiry) FROM leader_election_leases WHERE id = \(id) FOR UPDATE",
                logger: PostgresTestServer.logger
            )
            for try await beforeExpiry in lock.decode(Bool.self) { locked = beforeExpiry }
            guard locked else {
                throw ElectionError(
                    code: .invalidStoreData,
                    message: "the dummy lease could not be locked before it expired; the machine is too slow for this staging")
            }
            try await waitUntil("the dummy lease expires") { try await !serverTimeIsBefore(expiry) }
            return LeaseID(id)
        } teardown: { connection in
            try await connection.query("COMMIT", logger: PostgresTestServer.logger)
        }
    }

    /// Wakes the waiter as a change of its predecessor would.
    func wakeWaiter() async throws {
        try await admin.query("SELECT pg_notify('leader_election', \("\(leaderToken.rawValue) \(election)"))")
    }

    /// How many reapers wait for a row lock.
    func reapersWaitingOnLocks() async throws -> Int {
        try await count(
            "SELECT count(*)::int FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE '%WHERE expires_at <= clock_timestamp()%' AND pid <> pg_backend_pid()"
        )
    }

    /// How many renewals wait for the test's advisory lock.
    func renewalsHeld() async throws -> Int {
        try await count(
            "SELECT count(*)::int FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND wait_event = 'advisory' AND query LIKE 'UPDATE leader_election_leases SET expires_at%'"
        )
    }

    /// Moves the leader lease's expiry to `delay` from now; returns the new expiry.
    func expireLeaderLease(in delay: Duration) async throws -> Date {
        let rows = try await admin.query(
            """
            UPDATE leader_election_leases SET expires_at = clock_timestamp() + \(Int64(delay.components.seconds * 1000)) * interval '1 millisecond'
            WHERE id = \(leaderLease.rawValue) RETURNING expires_at
            """
        )
        for try await expiry in rows.decode(Date.self) { return expiry }
        throw ElectionError(code: .invalidStoreData, message: "the leader's lease is gone")
    }

    /// Takes the advisory lock that holds renewals back, on a connection of its own, until released.
    func holdRenewals() async throws -> HeldConnection {
        try await hold { connection in
            try await connection.query(
                "SELECT pg_advisory_lock(\(PostgresRenewalRaceTests.renewalHoldKey))", logger: PostgresTestServer.logger)
        } teardown: { connection in
            try await connection.query(
                "SELECT pg_advisory_unlock(\(PostgresRenewalRaceTests.renewalHoldKey))", logger: PostgresTestServer.logger)
        }.1
    }

    func serverTimeIsBefore(_ instant: Date) async throws -> Bool {
        let rows = try await admin.query("SELECT clock_timestamp() < \(instant)")
        for try await before in rows.decode(Bool.self) { return before }
        return false
    }

    func leaseExists(_ lease: LeaseID) async throws -> Bool {
        try await count("SELECT count(*)::int FROM leader_election_leases WHERE id = \(lease.rawValue)") > 0
    }

    func waitUntil(_ what: String, timeout: Duration = .seconds(60), _ condition: () async throws -> Bool) async throws {
        let clock = ContinuousClock()
        let end = clock.now + timeout
        while try await !condition() {
            guard clock.now < end else { throw ElectionError(code: .storeUnavailable, message: "timed out waiting until \(what)") }
            try await Task.sleep(for: .milliseconds(10))
        }
    }

    private func count(_ query: PostgresQuery) async throws -> Int {
        let rows = try await admin.query(query)
        for try await value in rows.decode(Int.self) { return value }
        return 0
    }
}
