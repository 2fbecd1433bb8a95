/// The renewal steps for many renewals at once (``BillingStore/beginCharges(_:fence:at:)`` and
/// ``BillingStore/recordRenewals(_:fence:at:)``). On PostgreSQL a batch is one statement of
/// ``BatchStatements``; what it cannot settle (no fence yet or a stale one, a charge already
/// there, a record of another shape, repeated keys) goes row by row through the one-row steps,
/// which decide it exactly as they would alone.
extension SQLLedger {
    func beginCharges(_ intents: [ChargeIntent], fence: Fence, now: Timestamp) async throws -> [Result<Charge, any Error>] {
        let keys = intents.map { ChargeKey(subscriptionID: $0.subscriptionID, periodStart: $0.periodStart) }
        guard database.dialect.fencesInWriteStatements, intents.count > 1, Set(keys).count == keys.count else {
            return await BatchResults.oneByOne(intents) { try await beginCharge($0, fence: fence, now: now) }
        }
        let binds: [SQLValue] = [
            .text(fence.election), .integer(fence.token.rawValue), .timestamp(now),
            .texts(intents.map(\.subscriptionID)), .integers(intents.map(\.periodStart.millisecondsSinceEpoch)),
            .integers(intents.map(\.periodEnd.millisecondsSinceEpoch)), .texts(intents.map(\.idempotencyKey)),
            .integers(intents.map(\.amount.minorUnits)), .texts(intents.map(\.amount.currency.code)),
            .texts(intents.map(\.customer)), .texts(intents.map(\.paymentMethod)), .integers(intents.map { Int64($0.attempt) }),
        ]
        let rows = try await database.statement(Self.fenced(BatchStatements.BeginCharges.self), binds)
        guard let first = rows.first, Self.statementDecided(first, fence) else {
            // No fence yet, a fence to raise, or a stale token: the one-row path decides.
            return await BatchResults.oneByOne(intents) { try await beginCharge($0, fence: fence, now: now) }
        }
        var written: [ChargeKey: Charge] = [:]
        for row in rows where row.values["subscription_id"] != .null {
            let charge = try Self.decodeCharge(row)
            written[ChargeKey(subscriptionID: charge.subscriptionID, periodStart: charge.periodStart)] = charge
        }
        var results: [Result<Charge, any Error>] = []
        results.reserveCapacity(intents.count)
        for (intent, key) in zip(intents, keys) {
            if let charge = written[key] {
                results.append(.success(charge))
            } else {
                // The period already had a charge, which stays as it is: the one-row step reads it.
                do {
                    results.append(.success(try await beginCharge(intent, fence: fence, now: now)))
                } catch {
                    results.append(.failure(error))
                }
            }
        }
        return results
    }

    func recordRenewals(_ records: [RenewalRecord], fence: Fence, now: Timestamp) async throws -> [Result<Void, any Error>] {
        let batchable = records.indices.filter {
            guard let charge = records[$0].charge, records[$0].subscription != nil else { return false }
            return charge.reviewReason == nil && charge.nextSendAt == nil && charge.keySentAt == nil
        }
        guard database.dialect.fencesInWriteStatements, batchable.count > 1,
            Set(records.map(\.subscriptionID)).count == records.count
        else {
            return await BatchResults.oneByOne(records) { try await recordRenewal($0, fence: fence, now: now) }
        }
        var results = [Result<Void, any Error>?](repeating: nil, count: records.count)
        let batch = batchable.map { records[$0] }
        for (index, result) in zip(batchable, try await recordBatch(batch, fence: fence, now: now)) {
            results[index] = result
        }
        for index in records.indices where results[index] == nil {
            do {
                try await recordRenewal(records[index], fence: fence, now: now)
                results[index] = .success(())
            } catch {
                results[index] = .failure(error)
            }
        }
        return results.map { $0! }
    }

    /// Records that carry both a charge and a subscription transition, with distinct subscriptions.
    private func recordBatch(_ records: [RenewalRecord], fence: Fence, now: Timestamp) async throws -> [Result<Void, any Error>] {
        let charges = records.map { $0.charge! }
        let transitions = records.map { $0.subscription! }
        let binds: [SQLValue] = [
            .text(fence.election), .integer(fence.token.rawValue), .timestamp(now),
            .texts(records.map(\.subscriptionID)), .integers(records.map(\.periodStart.millisecondsSinceEpoch)),
            .texts(charges.map(\.idempotencyKey)), .texts(charges.map(\.status.rawValue)),
            .texts(charges.map { $0.providerReference ?? "" }), .integers(charges.map { $0.providerReference == nil ? 0 : 1 }),
            .texts(charges.map { $0.failureCode ?? "" }), .integers(charges.map { $0.failureCode == nil ? 0 : 1 }),
            .texts(transitions.map(\.status.rawValue)), .integers(transitions.map(\.currentPeriodStart.millisecondsSinceEpoch)),
            .integers(transitions.map(\.currentPeriodEnd.millisecondsSinceEpoch)),
            .integers(transitions.map { Int64($0.retry?.failedAttempts ?? 0) }),
            .integers(transitions.map { $0.retry?.nextAttemptAt?.millisecondsSinceEpoch ?? 0 }),
            .integers(transitions.map { $0.retry?.nextAttemptAt == nil ? 0 : 1 }),
            .integers(transitions.map { $0.nextDueAt?.millisecondsSinceEpoch ?? 0 }),
            .integers(transitions.map { $0.nextDueAt == nil ? 0 : 1 }),
            .integers(transitions.map(\.expectedPeriodEnd.millisecondsSinceEpoch)),
            .integers(transitions.map { Int64($0.expectedFailedAttempts) }),
            .integers(transitions.map(\.expectedVersion)), .integers(transitions.map { $0.appliesPendingPlan ? 1 : 0 }),
        ]
        let rows = try await database.statement(Self.fenced(BatchStatements.RecordRenewals.self), binds)
        guard rows.count == records.count, let first = rows.first, Self.statementDecided(first, fence) else {
            // No fence yet, a fence to raise, or a stale token: the one-row path decides.
            return await BatchResults.oneByOne(records) { try await recordRenewal($0, fence: fence, now: now) }
        }
        var answers: [String: SQLRow] = [:]
        for row in rows {
            answers[try row.text("subscription_id")] = row
        }
        return records.map { record in
            guard let row = answers[record.subscriptionID] else {
                return .failure(
                    BillingError.invalidStoreData(
                        "recording a batch of renewals in \(database.displayName) answered nothing for \(record.subscriptionID)"))
            }
            if row.values["charge_open"] != .integer(1) { return .failure(Self.chargeClosed(record)) }
            if row.values["subscription_expected"] != .integer(1) { return .failure(Self.subscriptionChanged(record)) }
            guard row.values["updated"] == .integer(2) else {
                return .failure(
                    BillingError.invalidStoreData(
                        "recording the renewal of \(record.subscriptionID) for \(record.periodStart) updated \(row.values["updated"].map { "\($0)" } ?? "no") rows of 2 in \(database.displayName)"
                    ))
            }
            return .success(())
        }
    }
}

/// A charge row's key: one per subscription and period.
private struct ChargeKey: Hashable {
    let subscriptionID: String
    let periodStart: Timestamp
}
