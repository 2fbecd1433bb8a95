import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Places in a renewal where the fault-injection suite can stop this process, to put a pause
/// exactly where one does the most harm: after the engine's last leadership check, before the
/// side effect it guarded.
///
/// Off by default. ``enable(directory:)`` (`billing node` calls it when `BILLING_FAILPOINTS_DIR`
/// is set) turns them on; a failpoint is then armed by creating a file named after it in that
/// directory. The first renewal to reach an armed failpoint takes the file away (a rename, so
/// that exactly one fires) and stops the whole process with SIGSTOP, as a long garbage-collection
/// or virtual-machine pause would; the suite resumes it with SIGCONT.
public enum Failpoint: String, Sendable, CaseIterable {
    /// After the leadership was checked, once the store holds a database connection for a
    /// renewal's pending charge, before it sends the write (PostgreSQL store).
    case beforePendingWrite = "before-pending-write"
    /// After the pending charge is written and the leadership checked, before the provider call.
    case beforeProviderCall = "before-provider-call"
    /// After the provider answered and the leadership was checked, once the store holds a
    /// database connection for the outcome's write, before it sends it: past every point where
    /// the engine's cancellation could still stop the write (PostgreSQL store).
    case beforeOutcomeWrite = "before-outcome-write"

    private static let directory = Mutex<String?>(nil)
    /// Read first on every path, so that failpoints cost one atomic load when off: no lock, no
    /// task-local value, no file lookup.
    private static let enabled = Atomic<Bool>(false)

    /// Turns failpoints on, armed by files in `directory`.
    public static func enable(directory path: String) {
        directory.withLock { $0 = path }
        enabled.store(true, ordering: .releasing)
    }

    /// The failpoint that the store's calls made inside ``ahead(_:)`` reach once they hold a connection.
    @TaskLocal private static var pending: Failpoint?

    /// Runs `body`, whose database calls reach this failpoint (``reachAhead()``) once each holds
    /// a connection.
    func ahead<Value>(_ body: () async throws -> Value) async rethrows -> Value {
        guard Self.enabled.load(ordering: .acquiring) else { return try await body() }
        return try await Self.$pending.withValue(self, operation: body)
    }

    /// Reaches the failpoint of the enclosing ``ahead(_:)``, if any.
    static func reachAhead() {
        guard enabled.load(ordering: .acquiring) else { return }
        pending?.reach()
    }

    /// Stops the process here when this failpoint is armed; does nothing (one atomic load) when
    /// failpoints are off.
    func reach() {
        guard Self.enabled.load(ordering: .acquiring), let directory = Self.directory.withLock({ $0 }) else { return }
        let armed = "\(directory)/\(rawValue)"
        // The rename succeeds for one caller only: one arming, one stop.
        guard rename(armed, "\(armed).fired") == 0 else { return }
        raise(SIGSTOP)
    }
}
