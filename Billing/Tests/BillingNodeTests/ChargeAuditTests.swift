import BillingNode
import PaymentSandbox
import Testing

@Suite("charge audit")
struct ChargeAuditTests {
    private func entry(
        _ subscription: String, _ period: String, status: String = "succeeded", count: Int = 1, key: String? = nil
    ) -> LedgerEntry {
        LedgerEntry(
            provider: "stripe", idempotencyKey: key ?? "renewal:\(subscription):\(period)", count: count, amount: 999, currency: "usd",
            customer: "cus", paymentMethod: "pm_card_visa", status: status, declineCode: nil, reference: "pi_\(subscription)",
            metadata: ["subscription_id": subscription, "period_start": period], replays: 0, createdAt: 0
        )
    }

    @Test("once, double, missed and unexpected are told apart")
    func classification() {
        let period = "2026-01-01T00:00:00Z"
        let due: Set<RenewalID> = Set(["a", "b", "c", "d"].map { RenewalID(subscriptionID: $0, periodStart: period) })
        let ledger = [
            entry("a", period),
            entry("b", period, status: "declined"),
            entry("c", period), entry("c", period, key: "renewal:c:other-key"),
            entry("e", period),
        ]
        let audit = ChargeAudit(dueRenewals: due, ledger: ledger, charges: [])
        #expect(audit.due == 4)
        #expect(audit.chargedOnce == 2)
        #expect(audit.succeeded == 1)
        #expect(audit.declined == 1)
        #expect(audit.doubleCharges == 1)
        #expect(audit.missed == 1)
        #expect(audit.unexpected == 1)
        #expect(!audit.isClean)
    }

    @Test("a key the provider applied twice is a double charge")
    func appliedTwice() {
        let period = "2026-01-01T00:00:00Z"
        let audit = ChargeAudit(
            dueRenewals: [RenewalID(subscriptionID: "a", periodStart: period)], ledger: [entry("a", period, count: 2)], charges: [])
        #expect(audit.doubleCharges == 1)
    }
}
