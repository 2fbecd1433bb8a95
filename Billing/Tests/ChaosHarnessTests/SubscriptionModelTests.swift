import Billing
import PaymentSandbox
import Testing

@testable import ChaosHarness

/// The `model` signal against hand-made ledgers: a subscription that declines softly must go
/// through each dunning step once and in time, then end canceled; one that succeeds must have
/// every overdue period paid and its row advanced past them.
@Suite struct SubscriptionModelTests {
    static let dunning = try! DunningSchedule(parsing: "4s,8s,12s")
    static let anchor = Timestamp(millisecondsSinceEpoch: 1_800_000_000_000)

    static func seeded(_ scenario: TestScenario, periods: Int = 1) throws -> RenewalSeeder.Seeded {
        let plan = try Plan(interval: .monthly, price: Money(minorUnits: 999, currency: Currency(code: "USD")))
        let subscription = Subscription(
            id: "sub_1", customer: "cus_1", plan: plan, status: .active, billingCycleAnchor: anchor,
            currentPeriodStart: BillingCalendar.boundary(anchor: anchor, interval: .monthly, index: -1), currentPeriodEnd: anchor,
            cancelAtPeriodEnd: false, paymentMethod: scenario.stripePaymentMethod, retry: nil)
        let starts = (0..<periods).map { BillingCalendar.boundary(anchor: anchor, interval: .monthly, index: Int64($0)) }
        return RenewalSeeder.Seeded(
            subscription: subscription, scenario: scenario, saveAtMs: nil, duePeriodStarts: scenario == .succeeds ? starts : [anchor],
            dueAtMs: anchor.millisecondsSinceEpoch)
    }

    static func attempt(_ number: Int, at ms: Int64, period: Timestamp = anchor, status: String = "declined") -> LedgerEntry {
        LedgerEntry(
            provider: "stripe", idempotencyKey: Subscription.idempotencyKey(subscriptionID: "sub_1", periodStart: period, attempt: number),
            count: 1, amount: 999, currency: "usd", customer: "cus_1", paymentMethod: "pm", status: status, declineCode: nil,
            reference: "pi_\(number)_\(ms)", metadata: ["subscription_id": "sub_1", "period_start": period.iso8601], replays: 0,
            createdAt: ms / 1000, appliedAtMs: ms)
    }

    func check(
        _ seeded: RenewalSeeder.Seeded, _ ledger: [LedgerEntry], status: String, periodEnd: Int64? = nil, failed: Int64 = 0
    )
        -> SubscriptionModel.Findings
    {
        let row = SubscriptionModel.FinalRow(
            status: status, periodEndMs: periodEnd ?? Self.anchor.millisecondsSinceEpoch, failedAttempts: failed)
        return SubscriptionModel(seeded: [seeded], ledger: ledger, rows: ["sub_1": row], dunning: Self.dunning).check()
    }

    @Test func aSoftDeclineThroughEveryStepInTimeThenCanceledIsTheModel() throws {
        let ledger = [Self.attempt(1, at: 0), Self.attempt(2, at: 4_050), Self.attempt(3, at: 8_200), Self.attempt(4, at: 12_300)]
        let findings = check(try Self.seeded(.insufficientFunds), ledger, status: "canceled")
        #expect(findings.violations == [])
        #expect(findings.dunningRetries == 3)
    }

    @Test func aRetryBeforeItsStepIsADeparture() throws {
        let ledger = [Self.attempt(1, at: 0), Self.attempt(2, at: 1_000), Self.attempt(3, at: 5_200), Self.attempt(4, at: 9_300)]
        let findings = check(try Self.seeded(.insufficientFunds), ledger, status: "canceled")
        #expect(findings.departures == 1)
        #expect(findings.violations.first?.contains("attempt 2 came 1000 ms after attempt 1") == true)
    }

    @Test func aSkippedStepOrAStillPastDueSubscriptionIsADeparture() throws {
        let ledger = [Self.attempt(1, at: 0), Self.attempt(2, at: 4_050), Self.attempt(4, at: 12_300)]
        let findings = check(try Self.seeded(.insufficientFunds), ledger, status: "past_due", failed: 2)
        #expect(findings.departures == 2)
    }

    @Test func aRetryAfterAHardDeclineIsADeparture() throws {
        let findings = check(try Self.seeded(.expiredCard), [Self.attempt(1, at: 0), Self.attempt(2, at: 4_050)], status: "canceled")
        #expect(findings.departures == 1)
        #expect(check(try Self.seeded(.expiredCard), [Self.attempt(1, at: 0)], status: "canceled").departures == 0)
    }

    @Test func aCatchingUpSubscriptionEndsPastItsLastOverduePeriod() throws {
        let seeded = try Self.seeded(.succeeds, periods: 3)
        let ledger = seeded.duePeriodStarts.enumerated().map {
            Self.attempt(1, at: Int64($0.offset) * 100, period: $0.element, status: "succeeded")
        }
        let end = BillingCalendar.boundary(anchor: Self.anchor, interval: .monthly, index: 3).millisecondsSinceEpoch
        let findings = check(seeded, ledger, status: "active", periodEnd: end)
        #expect(findings.violations == [])
        #expect(findings.laterRenewals == 2)
        // A period advanced one time too few.
        let behind = BillingCalendar.boundary(anchor: Self.anchor, interval: .monthly, index: 2).millisecondsSinceEpoch
        #expect(check(seeded, ledger, status: "active", periodEnd: behind).departures == 1)
    }

    @Test func finalRowsAreReadFromPsqlAndAMalformedRowIsAnError() throws {
        let rows = try SubscriptionModel.parseRows("sub_1\tcanceled\t1700\t4\nsub_2\tactive\t1800\t0\n")
        #expect(rows["sub_1"]?.status == "canceled" && rows["sub_1"]?.failedAttempts == 4)
        #expect(rows["sub_2"]?.periodEndMs == 1800)
        #expect(throws: HarnessError.self) { try SubscriptionModel.parseRows("sub_1\tactive") }
    }
}
