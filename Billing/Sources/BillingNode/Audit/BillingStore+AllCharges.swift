import Billing

extension BillingStore {
    /// Every charge row, page by page.
    public func allCharges() async throws -> [Charge] {
        var all: [Charge] = []
        var cursor: ChargeCursor?
        while true {
            let page = try await charges(after: cursor, limit: 1000)
            all += page
            guard let last = page.last, page.count == 1000 else { return all }
            cursor = ChargeCursor(after: last)
        }
    }
}
