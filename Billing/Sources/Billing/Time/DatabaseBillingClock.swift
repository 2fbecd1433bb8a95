/// The billing database's clock: the one clock every replica agrees on.
///
/// Every call is a round trip to the store (``BillingStore/currentTime()``); the engine reads it
/// once per pass. A skewed replica clock therefore cannot move a due decision; the database
/// server's clock can, for every replica alike.
public struct DatabaseBillingClock: BillingClock {
    private let store: any BillingStore

    /// Reads time from `store`.
    public init(store: any BillingStore) {
        self.store = store
    }

    /// The database's current time.
    public func now() async throws -> Timestamp { try await store.currentTime() }
}
