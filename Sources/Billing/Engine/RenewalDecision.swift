import Payments

/// What a provider's answer means for a charge row and its subscription: the pure core of step
/// (c), with no IO, so that tables can test it.
public struct RenewalDecision: Hashable, Sendable {
    /// How the renewal ended, for reports and metrics.
    public enum Kind: Hashable, Sendable {
        /// Paid; the period advanced.
        case charged
        /// Failed without charging; a dunning retry is scheduled.
        case retryScheduled
        /// Failed without charging, and dunning is over (schedule exhausted or hard decline): canceled.
        case canceledForNonPayment
        /// Nobody knows yet whether it charged; reconcile later with the same key.
        case unknown
        /// Nothing was decided (rate-limited until the pass gave up); the charge stays pending.
        case deferred
    }

    /// How the renewal ended.
    public var kind: Kind
    /// What to write; nil for ``Kind/deferred``.
    public var record: RenewalRecord?
    /// Whether the provider declined (soft or hard), as opposed to another kind of failure.
    public var wasDeclined: Bool

    /// Decides step (c) for `charge` of `subscription` after the provider answered `outcome` at `now`.
    ///
    /// - `succeeded`: the charge succeeds; the subscription becomes active for the charged period.
    /// - `declined` (hard): the charge fails; the subscription is canceled (no retry after a hard decline).
    /// - `declined` (soft) and `retryable`: the charge fails; the subscription becomes past due
    ///   with the next retry from `dunning`, or is canceled when dunning is over.
    /// - `unknown` and `idempotencyConflict`: the charge becomes unknown; the subscription is unchanged.
    /// - `rateLimited`: nothing is written (the charge stays pending).
    public static func decide(subscription: Subscription, charge: Charge, outcome: ChargeOutcome, now: Timestamp, dunning: DunningSchedule) -> RenewalDecision {
        let expectedFailures = subscription.retry?.failedAttempts ?? 0
        func transition(_ status: SubscriptionStatus, retry: RetryState?, advance: Bool) -> SubscriptionTransition {
            SubscriptionTransition(
                expectedPeriodEnd: subscription.currentPeriodEnd,
                expectedFailedAttempts: expectedFailures,
                status: status,
                currentPeriodStart: advance ? charge.periodStart : subscription.currentPeriodStart,
                currentPeriodEnd: advance ? charge.periodEnd : subscription.currentPeriodEnd,
                retry: retry
            )
        }
        func record(_ update: ChargeUpdate, _ transition: SubscriptionTransition?) -> RenewalRecord {
            RenewalRecord(subscriptionID: charge.subscriptionID, periodStart: charge.periodStart, charge: update, subscription: transition)
        }
        // Only a charge for the period right after the current one moves the subscription.
        let appliesToSubscription = charge.periodStart == subscription.currentPeriodEnd
        func failed(code: String, hard: Bool, declined: Bool, reference: String? = nil) -> RenewalDecision {
            let update = ChargeUpdate(idempotencyKey: charge.idempotencyKey, status: .failed, providerReference: reference, failureCode: code)
            let failures = charge.attempts
            if !hard, let next = dunning.nextAttempt(afterFailedAttempts: failures, failedAt: now) {
                let change = transition(.pastDue, retry: RetryState(failedAttempts: failures, nextAttemptAt: next), advance: false)
                return RenewalDecision(kind: .retryScheduled, record: record(update, appliesToSubscription ? change : nil), wasDeclined: declined)
            }
            let change = transition(.canceled, retry: nil, advance: false)
            return RenewalDecision(kind: .canceledForNonPayment, record: record(update, appliesToSubscription ? change : nil), wasDeclined: declined)
        }
        switch outcome {
        case .succeeded(let reference):
            let update = ChargeUpdate(idempotencyKey: charge.idempotencyKey, status: .succeeded, providerReference: reference)
            let change = transition(.active, retry: nil, advance: true)
            return RenewalDecision(kind: .charged, record: record(update, appliesToSubscription ? change : nil), wasDeclined: false)
        case .declined(let code, let declineCode, _, let hard, let reference):
            return failed(code: declineCode ?? code, hard: hard, declined: true, reference: reference)
        case .retryable:
            return failed(code: "provider_unavailable", hard: false, declined: false)
        case .unknown:
            let update = ChargeUpdate(idempotencyKey: charge.idempotencyKey, status: .unknown, failureCode: "outcome_unknown")
            return RenewalDecision(kind: .unknown, record: record(update, nil), wasDeclined: false)
        case .idempotencyConflict:
            let update = ChargeUpdate(idempotencyKey: charge.idempotencyKey, status: .unknown, failureCode: "idempotency_conflict")
            return RenewalDecision(kind: .unknown, record: record(update, nil), wasDeclined: false)
        case .rateLimited:
            return RenewalDecision(kind: .deferred, record: nil, wasDeclined: false)
        }
    }
}
