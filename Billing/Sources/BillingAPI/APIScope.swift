/// What a bearer token of the subscriptions API may do. Each scope includes the ones before it.
public enum APIScope: String, Comparable, Sendable, CaseIterable {
    /// Reads subscriptions.
    case read
    /// Creates and changes subscriptions, and reads them.
    case write
    /// Everything, the node's admin endpoints included (`BILLING_ADMIN_TOKEN`).
    case admin

    public static func < (lhs: APIScope, rhs: APIScope) -> Bool {
        allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
    }
}
