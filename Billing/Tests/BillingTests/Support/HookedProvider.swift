import Payments

/// A provider that runs `afterCharge` once the base provider has answered a charge and before the
/// engine hears of it: the window in which a concurrent change (a cancellation) races step (c).
struct HookedProvider: PaymentProvider {
    let base: FakePaymentProvider
    let afterCharge: @Sendable (ChargeRequest) async throws -> Void

    func charge(_ request: ChargeRequest) async throws -> ChargeOutcome {
        let outcome = try await base.charge(request)
        try await afterCharge(request)
        return outcome
    }

    func lookUpCharge(_ request: ChargeRequest) async throws -> ChargeLookupResult { try await base.lookUpCharge(request) }

    var idempotencyKeyRetention: Duration { base.idempotencyKeyRetention }
}
