import LeaderElection
import Logging
import ServiceLifecycle
import Synchronization

/// An `ElectionBackend` kept in one SQLite file that the processes of one host share
/// (`--store sqlite:PATH`): the embedded store for development and single-host deployments.
///
/// Each operation is one SQLite transaction (writes use `BEGIN IMMEDIATE`, so processes
/// serialize) that first reaps expired leases with their candidacies: whoever looks, reaps. Lease
/// IDs and fencing tokens come from counters kept in the file, so they are never reused, even
/// after every row was deleted or the file was reopened. Lease expiry is measured on the host's
/// boot-time clock (``BootTimeClock``), which every process of the host shares and nobody can set;
/// leases granted before a reboot are reaped by the first operation after it.
///
/// Not guaranteed:
/// - Anything across hosts. The lease clock is this host's, and SQLite's file locks are reliable
///   only between processes of one host. Never put the file on a network filesystem (NFS, SMB,
///   cloud drives): WAL mode needs shared memory and working locks, and two leaders could result.
/// - Prompt notification across processes: other processes' changes are noticed by polling every
///   ``SQLiteConfiguration/pollInterval``, so a successor takes over up to one interval after a release.
/// - Durability through power loss or an OS crash (`synchronous=NORMAL`): the last transactions
///   before it may be rolled back, so a counter may repeat values handed to processes that did not
///   survive the crash. A resource fenced with such a token rejects the new leader until the
///   counter passes the highest token it saw.
/// - Fairness under contention: waiting for another process's write lock is not first come,
///   first served.
public final class SQLiteBackend: ElectionBackendService {
    /// The path of the store file, as given in the configuration.
    public var path: String { configuration.path }
    /// Where the store is and how this backend waits for other processes.
    public let configuration: SQLiteConfiguration

    private let logger: Logger
    private let timeSource: @Sendable () -> Int64
    /// Serializes opening and closing the file; waiting for it is cancellable.
    private let openLock = TransactionLock()
    private let state = Mutex<FileState>(.notOpened)
    private let stopped = ChangeSignal()
    private let changes = ChangeSignal()
    private let pollClock = ElectionClock(ContinuousClock())

    private enum FileState {
        case notOpened
        case open(StoreConnection)
        case closed
    }

    /// The longest TTL stored; longer ones are shortened to it (about 73 years).
    private static let maximumTTLNanoseconds: Int64 = 1 << 61

    /// Creates a backend whose leases expire on the host's boot-time clock (``BootTimeClock``).
    ///
    /// Nothing is opened yet: ``run()`` opens the file (creating it, but not its directory, when
    /// it does not exist), switches it to WAL mode and creates or upgrades the schema; an
    /// operation made before that opens it itself. Either reports a file that cannot be used with
    /// an `ElectionError` naming the path and the likely fix:
    /// `ElectionError.Code.storeUnavailable` when it cannot be opened or created,
    /// `ElectionError.Code.invalidStoreData` when it is not an SQLite database or not an
    /// election store. When ``run()`` ends, the file is closed.
    /// - Throws: `ElectionError.Code.invalidConfiguration` for a bad `configuration`.
    public convenience init(configuration: SQLiteConfiguration, logger: Logger) throws {
        try self.init(configuration: configuration, timeSource: BootTimeClock.now, logger: logger)
    }

    /// Creates a backend whose leases expire on `timeSource`, for tests that move time by hand.
    /// - Parameters:
    ///   - configuration: Where the store is and how to wait for other processes.
    ///   - timeSource: The host-wide clock leases expire on, in nanoseconds. Every process
    ///     sharing the file must use the same clock, and it must never go backwards.
    ///   - logger: Receives SQLiteNIO's connection diagnostics.
    /// - Throws: `ElectionError.Code.invalidConfiguration` for a bad `configuration`.
    public init(configuration: SQLiteConfiguration, timeSource: @escaping @Sendable () -> Int64, logger: Logger) throws {
        try configuration.validate()
        self.configuration = configuration
        self.timeSource = timeSource
        self.logger = logger
    }

    /// Opens the file, then keeps it open until cancelled, shut down gracefully (ServiceLifecycle)
    /// or ``shutdown()``; then waits for the running operation and closes it. Later operations
    /// throw `ElectionError.Code.storeUnavailable`. Leases stay in the file until they expire
    /// or are revoked.
    /// - Throws: `ElectionError` when the file cannot be used (see ``init(configuration:logger:)``).
    public func run() async throws {
        do {
            try await withGracefulShutdownHandler {
                _ = try await store()
                // Any shutdown ends it, also one that came before this call began.
                await stopped.wait(after: 0)
            } onGracefulShutdown: {
                self.shutdown()
            }
        } catch {
            try? await close()
            throw error
        }
        try await close()
    }

    /// Ends ``run()``, or makes it end at once when it has not begun yet.
    public func shutdown() {
        stopped.notify()
    }

    /// Opens the file now unless it is open already (``run()`` does this first), so that a file
    /// that cannot be used is reported before the first operation.
    /// - Throws: `ElectionError` (see ``init(configuration:logger:)``).
    public func prepare() async throws {
        _ = try await store()
    }

    /// Waits for the running operation, then closes the file; ``run()`` does this last. Later
    /// calls do nothing.
    package func close() async throws {
        let store = try await openLock.withLock(cancellable: false) {
            state.withLock { state -> StoreConnection? in
                defer { state = .closed }
                if case .open(let store) = state { return store }
                return nil
            }
        }
        try await store?.close()
    }

    /// The open store, opening the file first when this is the first use.
    private func store() async throws -> StoreConnection {
        if case .open(let store) = state.withLock({ $0 }) { return store }
        return try await openLock.withLock {
            switch state.withLock({ $0 }) {
            case .open(let store):
                return store
            case .closed:
                throw StoreErrors.map(SQLiteTransactionError(reason: .closed), path: path, during: "using")
            case .notOpened:
                // A failure leaves the state alone, so the next operation tries again.
                let store = try await StoreConnection.open(path: path, busyTimeout: configuration.busyTimeout, logger: logger)
                state.withLock { $0 = .open(store) }
                return store
            }
        }
    }

    /// Creates a lease that expires `ttl` after this call unless renewed.
    public func grantLease(ttl: Duration) async throws -> LeaseID {
        guard ttl > .zero else {
            throw ElectionError.invalidConfiguration("a lease TTL must be positive, got \(ttl)")
        }
        let ttlNanoseconds = min(ttl.clampedNanoseconds, Self.maximumTTLNanoseconds)
        return try await write { transaction, now in
            (try await transaction.grantLease(ttl: ttlNanoseconds, now: now), false)
        }
    }

    /// Extends the lease to its TTL from now; throws `ElectionError.Code.leaseExpired` if it is gone.
    public func renewLease(_ lease: LeaseID) async throws {
        let renewed = try await write { transaction, now in
            (try await transaction.renewLease(lease, now: now), false)
        }
        if !renewed { throw ElectionError.leaseExpired(lease) }
    }

    /// Deletes the lease and its candidacies; succeeds if it is already gone.
    public func revokeLease(_ lease: LeaseID) async throws {
        try await write { transaction, _ in
            ((), try await transaction.revokeLease(lease))
        }
    }

    /// Joins `election` with `lease`, or returns the candidacy the lease already has there.
    public func campaign(election: String, lease: LeaseID, value: String) async throws -> Candidacy {
        let joined = try await write { transaction, _ in
            let outcome = try await transaction.campaign(election: election, lease: lease, value: value)
            return (outcome?.candidacy, outcome?.created ?? false)
        }
        guard let joined else { throw ElectionError.leaseExpired(lease) }
        return joined
    }

    /// Returns once `candidacy` leads, re-reading every ``SQLiteConfiguration/pollInterval``; throws
    /// `ElectionError.Code.leaseExpired` when it disappears.
    public func waitUntilLeader(_ candidacy: Candidacy) async throws {
        while true {
            try Task.checkCancellation()
            let version = changes.version
            switch try await read({ try await $0.standing(of: candidacy) }) {
            case .leading:
                return
            case .gone:
                throw ElectionError.leaseExpired(candidacy.lease)
            case .waiting:
                await changes.wait(after: version, orUntil: pollClock.now() + configuration.pollInterval, clock: pollClock)
            }
        }
    }

    /// Deletes `candidacy` but keeps its lease; succeeds if it is already gone.
    public func resign(_ candidacy: Candidacy) async throws {
        try await write { transaction, _ in
            ((), try await transaction.resign(candidacy))
        }
    }

    /// The oldest live candidacy of `election`, or nil.
    public func leader(election: String) async throws -> Candidacy? {
        try await read { try await $0.leader(election: election) }
    }

    /// The live candidacies of `election`, oldest (the leader) first.
    public func candidates(election: String) async throws -> [Candidacy] {
        try await read { try await $0.candidates(election: election) }
    }

    /// The leader of `election` now and after each change, polled every
    /// ``SQLiteConfiguration/pollInterval``; ends with the error when the file cannot be read.
    public func watchLeader(election: String) -> AsyncThrowingStream<Candidacy?, any Error> {
        let lastYielded = Mutex<Candidacy??>(.none)
        return AsyncThrowingStream(unfolding: {
            while !Task.isCancelled {
                let version = self.changes.version
                let leader: Candidacy?
                do {
                    leader = try await self.leader(election: election)
                } catch is CancellationError {
                    return nil
                }
                let changed = lastYielded.withLock { last -> Bool in
                    if case .some(let previous) = last, previous == leader { return false }
                    last = .some(leader)
                    return true
                }
                if changed { return .some(leader) }
                await self.changes.wait(
                    after: version,
                    orUntil: self.pollClock.now() + self.configuration.pollInterval,
                    clock: self.pollClock
                )
            }
            return nil
        })
    }

    // MARK: - Transactions

    /// Runs `body` in a write transaction, after reaping dead leases. `body` returns its result and
    /// whether it changed a candidacy; local waiters are woken when anything did.
    private func write<T>(_ body: (StoreTransaction, Int64) async throws -> (T, Bool)) async throws -> T {
        let (result, changed) = try await store().transaction(.write) { transaction in
            try await StoreSchema.check(transaction, path: path)
            let now = timeSource()
            let reaped = try await transaction.reapDeadLeases(now: now)
            let (result, changed) = try await body(transaction, now)
            return (result, reaped || changed)
        }
        if changed { changes.notify() }
        return result
    }

    private enum ReadOutcome<T> {
        case done(T)
        case needsReaping
    }

    /// Runs `body` in a read transaction, which does not wait for other processes' writes; when a
    /// lease needs reaping, runs it in a write transaction that reaps first instead.
    private func read<T>(_ body: (StoreTransaction) async throws -> T) async throws -> T {
        let outcome: ReadOutcome<T> = try await store().transaction(.read) { transaction in
            // The first statement starts the snapshot; the clock is read after it, so no lease in
            // the snapshot was renewed later than `now`.
            try await StoreSchema.check(transaction, path: path)
            let now = timeSource()
            if try await transaction.hasDeadLeases(now: now) { return .needsReaping }
            return .done(try await body(transaction))
        }
        switch outcome {
        case .done(let result):
            return result
        case .needsReaping:
            return try await write { transaction, _ in (try await body(transaction), false) }
        }
    }
}
