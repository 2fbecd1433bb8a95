import Synchronization

/// The billing stores' fence predicate (a write is accepted only under the highest token the
/// store has seen), and the switch that removes it for the fault-injection suite's `no-fencing`
/// negative control.
///
/// Removing it takes away exactly one protection: the stores still raise the fence when a higher
/// token writes, engines still check their leadership before every write and are still cancelled
/// when it ends, and every step takes the same statements and round trips, but a write under a
/// lower token is no longer refused. The suite must then find
/// the stale writes in the database's own record of them. Never remove it in production.
@_spi(NegativeControls)
public enum FencePredicate {
    private static let removed = Atomic<Bool>(false)

    /// Removes the predicate from every billing store in this process, for the rest of its life.
    public static func removeForNegativeControl() {
        removed.store(true, ordering: .relaxed)
    }

    /// Whether ``removeForNegativeControl()`` was called.
    public static var isRemoved: Bool { removed.load(ordering: .relaxed) }
}

/// A one-statement renewal step (PostgreSQL) with its fence predicate, "the stored token equals
/// the writer's", relaxed to "at least the writer's": the same statement, the same round trip, the
/// same locks, but a stale writer writes. A writer whose token is above the stored one still writes
/// nothing here, so that the transaction path raises the fence first.
enum WithoutFencePredicate<Base: SQLPreparedText>: SQLPreparedText {
    static var name: String { "nofence_" + Base.name }
    static var sql: String {
        // The predicate's two spellings in the statements (``SQLLedger``'s `FencedInsertCharge`,
        // ``RenewalStatement``, ``BatchStatements``).
        Base.sql.replacing("fence.token = $", with: "fence.token >= $").replacing(
            "FROM fence WHERE token = $", with: "FROM fence WHERE token >= $")
    }
}
