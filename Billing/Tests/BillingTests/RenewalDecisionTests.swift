import Billing
import LeaderElection
import Payments
import Testing

/// Step (c) as a table: provider answer in, charge status and subscription change out.
struct RenewalDecisionTests {
    struct Case: CustomTestStringConvertible, Sendable {
        var name: String
        var outcome: ChargeOutcome
        var attempt: Int = 1
        var kind: RenewalDecision.Kind
        var chargeStatus: ChargeStatus?
        var subscriptionStatus: SubscriptionStatus?
        var nextAttemptAfter: Duration? = nil
        /// The subscription's status when the answer arrives (canceled meanwhile, say).
        var canceledMeanwhile = false
        var reviewReason: String? = nil
        var testDescription: String { name }
    }

    static let day = Duration.seconds(86_400)

    static let cases: [Case] = [
        Case(
            name: "success advances the period", outcome: .succeeded(reference: "pi_1"), kind: .charged, chargeStatus: .succeeded,
            subscriptionStatus: .active),
        Case(
            name: "soft decline: past due, retry in 1 day",
            outcome: .declined(code: "card_declined", declineCode: "insufficient_funds", message: "", hard: false, reference: nil),
            kind: .retryScheduled, chargeStatus: .failed, subscriptionStatus: .pastDue, nextAttemptAfter: day),
        Case(
            name: "second failure: retry 2 days later (3 after the first)",
            outcome: .declined(code: "card_declined", declineCode: nil, message: "", hard: false, reference: nil),
            attempt: 2, kind: .retryScheduled, chargeStatus: .failed, subscriptionStatus: .pastDue, nextAttemptAfter: day * 2),
        Case(
            name: "fifth failure: dunning over, canceled",
            outcome: .declined(code: "card_declined", declineCode: nil, message: "", hard: false, reference: nil),
            attempt: 5, kind: .canceledForNonPayment, chargeStatus: .failed, subscriptionStatus: .canceled),
        Case(
            name: "hard decline: canceled, no retry",
            outcome: .declined(code: "card_declined", declineCode: "expired_card", message: "", hard: true, reference: "pi_9"),
            kind: .canceledForNonPayment, chargeStatus: .failed, subscriptionStatus: .canceled),
        Case(
            name: "not reached: the charge stays open with its key, the subscription untouched",
            outcome: .retryable(message: "connection refused"),
            kind: .unknown, chargeStatus: .pending, subscriptionStatus: nil),
        Case(
            name: "not reached on a dunning attempt: still no dunning step consumed", outcome: .retryable(message: "connection refused"),
            attempt: 3, kind: .unknown, chargeStatus: .pending, subscriptionStatus: nil),
        Case(
            name: "success after a cancellation: recorded, not revived, refund review", outcome: .succeeded(reference: "pi_2"),
            kind: .charged, chargeStatus: .succeeded, subscriptionStatus: nil, canceledMeanwhile: true,
            reviewReason: RenewalDecision.refundReviewReason),
        Case(
            name: "decline after a cancellation: recorded, no dunning",
            outcome: .declined(code: "card_declined", declineCode: nil, message: "", hard: false, reference: nil),
            kind: .retryScheduled, chargeStatus: .failed, subscriptionStatus: nil, canceledMeanwhile: true),
        Case(
            name: "unknown: charge unknown, subscription untouched", outcome: .unknown(message: "timeout"), kind: .unknown,
            chargeStatus: .unknown, subscriptionStatus: nil),
        Case(
            name: "idempotency conflict: unknown, reconcile later", outcome: .idempotencyConflict(message: "in flight"), kind: .unknown,
            chargeStatus: .unknown, subscriptionStatus: nil),
        Case(
            name: "rate limited: nothing written", outcome: .rateLimited(retryAfter: .seconds(2)), kind: .deferred, chargeStatus: nil,
            subscriptionStatus: nil),
    ]

    @Test(arguments: cases)
    func decision(_ testCase: Case) throws {
        let anchor = try Timestamp(iso8601: "2025-01-31T00:00:00Z")
        var subscription = Subscription(
            id: "sub", customer: "cus", plan: try Plan(interval: .monthly, price: Money(minorUnits: 999, currency: .usd)),
            paymentMethod: "pm", anchor: anchor
        )
        if testCase.attempt > 1 {
            subscription.status = .pastDue
            subscription.retry = RetryState(failedAttempts: testCase.attempt - 1, nextAttemptAt: anchor)
        }
        if testCase.canceledMeanwhile {
            subscription.status = .canceled
            subscription.retry = nil
        }
        subscription.version = 7
        let start = subscription.currentPeriodEnd
        let end = try BillingCalendar.periodEnd(startingAt: start, anchor: anchor, interval: .monthly)
        let now = start + .seconds(3600)
        let charge = Charge(
            subscriptionID: "sub", periodStart: start, periodEnd: end,
            idempotencyKey: Subscription.idempotencyKey(subscriptionID: "sub", periodStart: start, attempt: testCase.attempt),
            amount: subscription.plan.price, customer: "cus", paymentMethod: "pm", status: .pending, providerReference: nil,
            failureCode: nil, fencingToken: FencingToken(1), attempts: testCase.attempt, createdAt: now, updatedAt: now
        )
        let retryOpenAt = now + .seconds(5)
        let decision = RenewalDecision.decide(
            subscription: subscription, charge: charge, outcome: testCase.outcome, now: now, dunning: .default, retryOpenAt: retryOpenAt)
        #expect(decision.kind == testCase.kind)
        #expect(decision.record?.charge?.reviewReason == testCase.reviewReason)
        if decision.kind == .unknown {
            #expect(decision.record?.charge?.nextSendAt == retryOpenAt, "an open charge waits out its back-off")
        }
        #expect(decision.record?.charge?.status == testCase.chargeStatus)
        #expect(decision.record?.charge?.idempotencyKey == (testCase.chargeStatus == nil ? nil : charge.idempotencyKey))
        let transition = decision.record?.subscription
        #expect(transition?.status == testCase.subscriptionStatus)
        if let transition {
            #expect(transition.expectedPeriodEnd == start)
            #expect(transition.expectedFailedAttempts == testCase.attempt - 1)
            #expect(transition.expectedVersion == 7)
            if transition.status == .active {
                #expect(transition.currentPeriodStart == start)
                #expect(transition.currentPeriodEnd == end)
                #expect(transition.retry == nil)
            } else {
                #expect(transition.currentPeriodEnd == start, "a failed renewal does not advance the period")
            }
            #expect(transition.retry?.nextAttemptAt == testCase.nextAttemptAfter.map { now + $0 })
        }
    }

    @Test func asynchronousOutcomesWaitForTheProviderAndNeverResend() throws {
        let anchor = try Timestamp(iso8601: "2025-01-31T00:00:00Z")
        var subscription = Subscription(
            id: "sub", customer: "cus", plan: try Plan(interval: .monthly, price: Money(minorUnits: 999, currency: .usd)),
            paymentMethod: "pm", anchor: anchor)
        subscription.version = 3
        let start = subscription.currentPeriodEnd
        let end = try BillingCalendar.periodEnd(startingAt: start, anchor: anchor, interval: .monthly)
        let now = start + .seconds(60)
        let (retryOpenAt, lookUpAt) = (now + .seconds(5), now + .seconds(3600))
        var charge = Charge(
            subscriptionID: "sub", periodStart: start, periodEnd: end, idempotencyKey: "k", amount: subscription.plan.price,
            customer: "cus", paymentMethod: "pm", status: .pending, providerReference: nil, failureCode: nil,
            fencingToken: FencingToken(1), attempts: 1, createdAt: now, updatedAt: now)
        func decide(_ outcome: ChargeOutcome, _ subscription: Subscription, _ charge: Charge) -> RenewalDecision {
            RenewalDecision.decide(
                subscription: subscription, charge: charge, outcome: outcome, now: now, dunning: .default, retryOpenAt: retryOpenAt,
                lookUpAt: lookUpAt)
        }

        // Processing: open, marked, looked up later; the subscription does not move.
        let processing = decide(.processing(reference: "pi_p"), subscription, charge)
        #expect(processing.kind == .processing)
        #expect(
            processing.record?.charge
                == ChargeUpdate(
                    idempotencyKey: "k", status: .pending, providerReference: "pi_p", failureCode: Charge.processingCode,
                    nextSendAt: lookUpAt))
        #expect(processing.record?.subscription == nil)

        // Authentication required: open, marked, the action kept; the subscription waits for its customer.
        let action = CustomerAction(clientSecret: "pi_a_secret")
        let required = decide(.requiresAction(reference: "pi_a", action: action), subscription, charge)
        #expect(required.kind == .actionRequired)
        #expect(required.record?.charge?.failureCode == Charge.actionRequiredCode)
        #expect(required.record?.charge?.customerAction == action)
        #expect(required.record?.charge?.nextSendAt == lookUpAt)
        #expect(required.record?.subscription?.status == .actionRequired)
        #expect(required.record?.subscription?.nextDueAt == nil, "never due while it waits")
        #expect(required.record?.subscription?.currentPeriodEnd == start, "not advanced")

        // A dunning attempt that needs authentication keeps its count.
        var pastDue = subscription
        pastDue.status = .pastDue
        pastDue.retry = RetryState(failedAttempts: 2, nextAttemptAt: start)
        var third = charge
        third.attempts = 3
        let dunning = decide(.requiresAction(reference: "pi_a", action: action), pastDue, third)
        #expect(dunning.record?.subscription?.status == .actionRequired)
        #expect(dunning.record?.subscription?.retry?.failedAttempts == 2)

        // Once marked, nothing that settles nothing moves it or resends it: the mark stays.
        var waiting = subscription
        waiting.status = .actionRequired
        charge.failureCode = Charge.actionRequiredCode
        charge.providerReference = "pi_a"
        #expect(charge.isSettlingAtProvider)
        for outcome in [ChargeOutcome.unknown(message: "lost"), .retryable(message: "down"), .idempotencyConflict(message: "busy")] {
            let kept = decide(outcome, waiting, charge)
            #expect(kept.kind == .actionRequired)
            #expect(kept.record?.charge?.failureCode == Charge.actionRequiredCode)
            #expect(kept.record?.charge?.nextSendAt == lookUpAt)
            #expect(kept.record?.subscription == nil)
        }
        #expect(decide(.requiresAction(reference: "pi_a", action: action), waiting, charge).record?.subscription == nil)

        // The customer authenticated: paid, active, advanced. They failed: past due, dunning from the first step.
        let paid = decide(.succeeded(reference: "pi_a"), waiting, charge)
        #expect(paid.kind == .charged)
        #expect(paid.record?.subscription?.status == .active)
        #expect(paid.record?.subscription?.currentPeriodEnd == end)
        let failed = decide(
            .declined(code: "payment_intent_authentication_failure", declineCode: nil, message: "", hard: false, reference: "pi_a"),
            waiting, charge)
        #expect(failed.kind == .retryScheduled)
        #expect(failed.record?.subscription?.status == .pastDue)
        #expect(failed.record?.subscription?.retry?.nextAttemptAt == now + Self.day)
    }

    @Test func dunningScheduleRetriesOneThreeFiveSevenDaysAfterTheFirstFailure() throws {
        let first = try Timestamp(iso8601: "2025-03-01T00:00:00Z")
        var failedAt = first
        var offsets: [Duration] = []
        for failures in 1...DunningSchedule.default.maximumAttempts {
            guard let next = DunningSchedule.default.nextAttempt(afterFailedAttempts: failures, failedAt: failedAt) else {
                #expect(failures == 5)
                break
            }
            offsets.append(first.duration(to: next))
            failedAt = next
        }
        #expect(offsets == [1, 3, 5, 7].map { Self.day * $0 })
        #expect(throws: BillingError.self) { try DunningSchedule(retryOffsets: [.seconds(2), .seconds(1)]) }
    }

    @Test func dunningScheduleIsReadFromOffsetsWithUnits() throws {
        #expect(try DunningSchedule(parsing: "1d,3d,5d,7d") == .default)
        #expect(try DunningSchedule(parsing: " 4s, 8s ,12s").retryOffsets == [.seconds(4), .seconds(8), .seconds(12)])
        #expect(try DunningSchedule(parsing: "30m,2h").retryOffsets == [.seconds(1800), .seconds(7200)])
        #expect(try DunningSchedule(parsing: "none") == .none)
        for bad in ["", "5", "5x", "-5s", "0s", "5s,,10s", "10s,5s", "1.5d"] {
            let error = #expect(throws: BillingError.self, "'\(bad)'") { try DunningSchedule(parsing: bad) }
            #expect(error?.code == .invalidConfiguration)
        }
        let error = try #require(throws: BillingError.self) { try DunningSchedule(parsing: "1d,3x") }
        #expect(error.message.contains("'3x'") && error.message.contains("1d,3d,5d,7d"))
    }
}
