import Billing
import Testing

/// The billing-calendar reference cases (shared/reference/billing-calendar.md) that are pure
/// calendar arithmetic, as one table. Cases 10, 12 and 13 are about the engine and live in
/// RenewalEngineTests; case 9 is here (the periods) and there (billing them).
struct BillingCalendarTests {
    struct Case: CustomTestStringConvertible, Sendable {
        var name: String
        var anchor: String
        var interval: BillingInterval
        /// Boundaries 1, 2, ... after the anchor.
        var ends: [String]

        var testDescription: String { name }
    }

    static let cases: [Case] = [
        Case(
            name: "1 monthly from Jan 31, 2025", anchor: "2025-01-31T00:00:00Z", interval: .monthly,
            ends: ["2025-02-28T00:00:00Z", "2025-03-31T00:00:00Z", "2025-04-30T00:00:00Z", "2025-05-31T00:00:00Z"]),
        Case(
            name: "2 monthly from Jan 31, 2024 (leap year)", anchor: "2024-01-31T00:00:00Z", interval: .monthly,
            ends: ["2024-02-29T00:00:00Z", "2024-03-31T00:00:00Z"]),
        Case(
            name: "3 monthly from Mar 31: Apr 30 then May 31, no drift", anchor: "2025-03-31T10:00:00Z", interval: .monthly,
            ends: ["2025-04-30T10:00:00Z", "2025-05-31T10:00:00Z"]),
        Case(
            name: "4 anchor day 30: Feb 28, then Mar 30", anchor: "2025-01-30T00:00:00Z", interval: .monthly,
            ends: ["2025-02-28T00:00:00Z", "2025-03-30T00:00:00Z"]),
        Case(
            name: "4 anchor day 30 in a leap year: Feb 29, then Mar 30", anchor: "2024-01-30T00:00:00Z", interval: .monthly,
            ends: ["2024-02-29T00:00:00Z", "2024-03-30T00:00:00Z"]),
        Case(
            name: "5 anchor day 29 in a non-leap year: Feb 28, then Mar 29", anchor: "2025-01-29T00:00:00Z", interval: .monthly,
            ends: ["2025-02-28T00:00:00Z", "2025-03-29T00:00:00Z"]),
        Case(
            name: "6 annual from Feb 29, 2024", anchor: "2024-02-29T00:00:00Z", interval: .annual,
            ends: ["2025-02-28T00:00:00Z", "2026-02-28T00:00:00Z", "2027-02-28T00:00:00Z", "2028-02-29T00:00:00Z"]),
        Case(
            name: "7 year rollover, monthly Dec 15 to Jan 15", anchor: "2024-12-15T08:00:00Z", interval: .monthly,
            ends: ["2025-01-15T08:00:00Z", "2025-02-15T08:00:00Z"]),
        Case(
            name: "7 year rollover, annual Dec 31 to Dec 31", anchor: "2024-12-31T23:59:59Z", interval: .annual,
            ends: ["2025-12-31T23:59:59Z", "2026-12-31T23:59:59Z"]),
        Case(
            name: "11 US daylight-saving start does not move UTC", anchor: "2025-03-09T07:30:00Z", interval: .monthly,
            ends: ["2025-04-09T07:30:00Z", "2025-05-09T07:30:00Z"]),
        Case(
            name: "11 EU daylight-saving end does not move UTC", anchor: "2025-10-26T01:30:00.250Z", interval: .monthly,
            ends: ["2025-11-26T01:30:00.250Z", "2025-12-26T01:30:00.250Z"]),
        Case(
            name: "14 annual from Dec 31, 2023", anchor: "2023-12-31T00:00:00Z", interval: .annual,
            ends: ["2024-12-31T00:00:00Z"]),
        Case(
            name: "15 monthly from Aug 31", anchor: "2025-08-31T00:00:00Z", interval: .monthly,
            ends: [
                "2025-09-30T00:00:00Z", "2025-10-31T00:00:00Z", "2025-11-30T00:00:00Z", "2025-12-31T00:00:00Z",
                "2026-01-31T00:00:00Z", "2026-02-28T00:00:00Z",
            ]),
        Case(
            name: "century rule: 2100 is not a leap year", anchor: "2100-01-31T00:00:00Z", interval: .monthly,
            ends: ["2100-02-28T00:00:00Z", "2100-03-31T00:00:00Z"]),
        Case(
            name: "century rule: 2000 is a leap year", anchor: "2000-01-31T00:00:00Z", interval: .monthly,
            ends: ["2000-02-29T00:00:00Z", "2000-03-31T00:00:00Z"]),
        Case(
            name: "before the Unix epoch", anchor: "1969-12-31T23:00:00Z", interval: .monthly,
            ends: ["1970-01-31T23:00:00Z", "1970-02-28T23:00:00Z"]),
    ]

    @Test(arguments: cases)
    func periodEndsFromTheAnchor(_ testCase: Case) throws {
        let anchor = try Timestamp(iso8601: testCase.anchor)
        let expected = try testCase.ends.map { try Timestamp(iso8601: $0) }
        #expect(BillingCalendar.periodEnds(anchor: anchor, interval: testCase.interval, count: expected.count) == expected)
        // Walking period by period gives the same ends: each is computed from the anchor.
        var start = anchor
        for (index, end) in expected.enumerated() {
            let next = try BillingCalendar.periodEnd(startingAt: start, anchor: anchor, interval: testCase.interval)
            #expect(next == end)
            #expect(BillingCalendar.index(ofBoundary: end, anchor: anchor, interval: testCase.interval) == Int64(index + 1))
            start = next
        }
    }

    @Test func case14AnnualLeapYearIs366Days() throws {
        let anchor = try Timestamp(iso8601: "2023-12-31T00:00:00Z")
        let end = BillingCalendar.boundary(anchor: anchor, interval: .annual, index: 1)
        #expect(anchor.duration(to: end) == .seconds(366 * 86_400))
    }

    @Test func case11DaylightSavingChangeKeepsWholeDays() throws {
        let anchor = try Timestamp(iso8601: "2025-03-09T07:30:00Z")
        let end = BillingCalendar.boundary(anchor: anchor, interval: .monthly, index: 1)
        #expect(anchor.duration(to: end) == .seconds(31 * 86_400))
    }

    struct CatchUpCase: CustomTestStringConvertible, Sendable {
        var name: String
        var anchor: String
        var interval: BillingInterval
        var paidUntil: String
        var now: String
        var due: [String]
        var testDescription: String { name }
    }

    static let catchUpCases: [CatchUpCase] = [
        CatchUpCase(
            name: "9 two months of downtime: three periods, in order", anchor: "2025-01-31T00:00:00Z", interval: .monthly,
            paidUntil: "2025-02-28T00:00:00Z", now: "2025-04-30T12:00:00Z",
            due: ["2025-02-28T00:00:00Z", "2025-03-31T00:00:00Z", "2025-04-30T00:00:00Z"]),
        CatchUpCase(
            name: "9 nothing missed: only the period ending now", anchor: "2025-01-15T00:00:00Z", interval: .monthly,
            paidUntil: "2025-02-15T00:00:00Z", now: "2025-02-15T00:00:00Z", due: ["2025-02-15T00:00:00Z"]),
        CatchUpCase(
            name: "8 due a millisecond later: nothing", anchor: "2025-01-15T00:00:00Z", interval: .monthly,
            paidUntil: "2025-02-15T00:00:00.001Z", now: "2025-02-15T00:00:00Z", due: []),
        CatchUpCase(
            name: "9 annual plan after two years down", anchor: "2022-02-28T00:00:00Z", interval: .annual,
            paidUntil: "2023-02-28T00:00:00Z", now: "2025-03-01T00:00:00Z",
            due: ["2023-02-28T00:00:00Z", "2024-02-28T00:00:00Z", "2025-02-28T00:00:00Z"]),
    ]

    @Test(arguments: catchUpCases)
    func catchUpBillsEachMissedPeriodOnceInOrder(_ testCase: CatchUpCase) throws {
        let anchor = try Timestamp(iso8601: testCase.anchor)
        let paidUntil = try Timestamp(iso8601: testCase.paidUntil)
        let now = try Timestamp(iso8601: testCase.now)
        if testCase.due.isEmpty {
            // The boundary is not on the cycle; only its being in the future matters.
            #expect(paidUntil > now)
            return
        }
        let starts = try BillingCalendar.duePeriodStarts(after: paidUntil, until: now, anchor: anchor, interval: testCase.interval)
        #expect(starts.map(\.iso8601) == testCase.due)
    }

    struct DueCase: CustomTestStringConvertible, Sendable {
        var name: String
        var status: SubscriptionStatus
        var offsetFromNow: Duration
        var due: Bool
        var testDescription: String { name }
    }

    static let dueCases: [DueCase] = [
        DueCase(name: "8 due exactly now is due", status: .active, offsetFromNow: .zero, due: true),
        DueCase(name: "8 due a millisecond later is not", status: .active, offsetFromNow: .milliseconds(1), due: false),
        DueCase(name: "due a millisecond ago is due", status: .active, offsetFromNow: .milliseconds(-1), due: true),
        DueCase(name: "canceled is never due", status: .canceled, offsetFromNow: .seconds(-86_400), due: false),
        DueCase(name: "inactive is never due", status: .inactive, offsetFromNow: .seconds(-86_400), due: false),
    ]

    @Test(arguments: dueCases)
    func dueDecision(_ testCase: DueCase) throws {
        let now = try Timestamp(iso8601: "2025-06-15T12:00:00Z")
        let end = now + testCase.offsetFromNow
        let anchor = BillingCalendar.boundary(anchor: end, interval: .monthly, index: 0)
        var subscription = Subscription(
            id: "s", customer: "c", plan: try Plan(interval: .monthly, price: Money(minorUnits: 100, currency: .usd)),
            paymentMethod: "pm", anchor: anchor, status: testCase.status
        )
        subscription.currentPeriodEnd = end
        #expect(subscription.isDue(at: now) == testCase.due)
    }
}
