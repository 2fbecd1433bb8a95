import Payments

/// ``NegativeControl/newKeyPerAttempt``: sends every provider call under a new idempotency key,
/// as a client that makes up a key per HTTP request would.
struct FreshKeyProvider: PaymentProvider {
    let base: any PaymentProvider

    func charge(_ request: ChargeRequest) async throws -> ChargeOutcome {
        var fresh = request
        fresh.idempotencyKey = "\(request.idempotencyKey)-attempt-\(UInt64.random(in: .min ... .max))"
        return try await base.charge(fresh)
    }

    func lookUpCharge(_ request: ChargeRequest) async throws -> ChargeLookupResult { try await base.lookUpCharge(request) }

    var idempotencyKeyRetention: Duration { base.idempotencyKeyRetention }
}
