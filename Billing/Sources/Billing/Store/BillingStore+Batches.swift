import LeaderElection

/// The batch writes one row at a time, for stores whose statements cost no round trip (SQLite)
/// and for wrappers (instrumentation, fault injection) that must see every row's write.
extension BillingStore {
    public var writesInBatches: Bool { false }

    public func beginCharges(_ intents: [ChargeIntent], fence: Fence, at now: Timestamp) async throws -> [Result<Charge, any Error>] {
        await BatchResults.oneByOne(intents) { try await beginCharge($0, fence: fence, at: now) }
    }

    public func recordRenewals(_ records: [RenewalRecord], fence: Fence, at now: Timestamp) async throws -> [Result<Void, any Error>] {
        await BatchResults.oneByOne(records) { try await recordRenewal($0, fence: fence, at: now) }
    }
}
