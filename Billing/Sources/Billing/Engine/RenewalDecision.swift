import Payments

/// What a provider's answer means for a charge row and its subscription: the pure core of step
/// (c), with no IO, so that tables can test it.
///
/// The rules that keep a charge to one:
/// - Once a charge row exists it is open (pending or unknown), and only a definite answer for its
///   own key closes it: `ChargeOutcome.succeeded(reference:)` or a decline. "Not
///   reached" (`ChargeOutcome.retryable(message:)`), a lost answer, a key conflict leave
///   it open with the same key, for a later round after a back-off; the subscription does not move.
/// - A charge the engine cannot settle at all (the provider rejects the request itself) is parked
///   for an operator (``park(charge:reason:)``); nothing more is sent for it.
/// - Only an active or past-due subscription moves, and only for the period right after its
///   current one. A charge that succeeds on a subscription canceled or paused meanwhile is
///   recorded, does not revive it, and asks for a refund review.
public struct RenewalDecision: Hashable, Sendable {
    /// How the renewal ended, for reports and metrics.
    public enum Kind: Hashable, Sendable {
        /// Paid; the period advanced (or, on a subscription canceled meanwhile, paid and flagged for refund review).
        case charged
        /// Declined; a dunning retry is scheduled.
        case retryScheduled
        /// Declined, and dunning is over (schedule exhausted or hard decline): canceled.
        case canceledForNonPayment
        /// Nobody knows yet whether it charged, or the provider could not be asked: the charge
        /// stays open with its key, for a later round.
        case unknown
        /// Nothing was decided (rate-limited until the pass gave up); the charge stays as it was.
        case deferred
        /// Parked for an operator (``park(charge:reason:)``).
        case needsReview
        /// The provider accepted the charge and settles it later (a bank debit): open, not sent
        /// again; a webhook or a lookup settles it.
        case processing
        /// The customer must authenticate the charge: open, not sent again; the subscription is
        /// ``SubscriptionStatus/actionRequired`` until the provider reports what they did.
        case actionRequired
    }

    /// How the renewal ended.
    public var kind: Kind
    /// What to write; nil for ``Kind/deferred``.
    public var record: RenewalRecord?
    /// Whether the provider declined (soft or hard): the charge failed; anything else that
    /// failed leaves the charge open.
    public var wasDeclined: Bool { kind == .retryScheduled || kind == .canceledForNonPayment }

    /// The review reason of a charge that succeeded after its subscription was canceled.
    public static let refundReviewReason = "refund_review: the subscription was canceled before this charge succeeded"
    /// The review reason of a charge that succeeded after its subscription was paused (or made inactive).
    public static let pausedReviewReason = "refund_review: the subscription was paused before this charge succeeded"

    /// Decides step (c) for `charge` of `subscription` after the provider answered `outcome` at `now`.
    ///
    /// - `succeeded`: the charge succeeds; an active or past-due subscription becomes active for
    ///   the charged period; a canceled one stays canceled and the charge asks for a refund review.
    /// - `declined` (hard): the charge fails; the subscription is canceled (no retry after a hard decline).
    /// - `declined` (soft): the charge fails; the subscription becomes past due with the next
    ///   retry from `dunning`, or is canceled when dunning is over.
    /// - `retryable`, `unknown`, `idempotencyConflict`: the charge stays open with its key, not
    ///   asked again before `retryOpenAt`; the subscription is unchanged.
    /// - `processing`: the charge stays open, marked as settling at the provider, its reference
    ///   kept; not sent again, looked up from `lookUpAt` (default: `retryOpenAt`).
    /// - `requiresAction`: the same, and a live subscription becomes
    ///   ``SubscriptionStatus/actionRequired`` (its dunning count kept), no longer due.
    /// - On a charge settling at the provider (``Charge/isSettlingAtProvider``), an answer that
    ///   settles nothing (unknown, not reached) keeps the mark and waits until `lookUpAt`.
    /// - `rateLimited`: nothing is written.
    public static func decide(
        subscription: Subscription, charge: Charge, outcome: ChargeOutcome, now: Timestamp, dunning: DunningSchedule,
        retryOpenAt: Timestamp,
        lookUpAt: Timestamp? = nil
    ) -> RenewalDecision {
        let lookUpAt = lookUpAt ?? retryOpenAt
        let expectedFailures = subscription.retry?.failedAttempts ?? 0
        func transition(_ status: SubscriptionStatus, retry: RetryState?, advance: Bool) -> SubscriptionTransition {
            SubscriptionTransition(
                expectedPeriodEnd: subscription.currentPeriodEnd,
                expectedFailedAttempts: expectedFailures,
                expectedVersion: subscription.version,
                status: status,
                currentPeriodStart: advance ? charge.periodStart : subscription.currentPeriodStart,
                currentPeriodEnd: advance ? charge.periodEnd : subscription.currentPeriodEnd,
                retry: retry
            )
        }
        func record(_ update: ChargeUpdate, _ transition: SubscriptionTransition?) -> RenewalRecord {
            RenewalRecord(subscriptionID: charge.subscriptionID, periodStart: charge.periodStart, charge: update, subscription: transition)
        }
        // Only a live subscription moves, and only for the period right after the current one.
        let isLive = subscription.status == .active || subscription.status == .pastDue || subscription.status == .actionRequired
        let appliesToSubscription = isLive && charge.periodStart == subscription.currentPeriodEnd
        func failed(code: String, hard: Bool, reference: String?) -> RenewalDecision {
            let update = ChargeUpdate(
                idempotencyKey: charge.idempotencyKey, status: .failed, providerReference: reference, failureCode: code)
            let failures = charge.attempts
            if !hard, let next = dunning.nextAttempt(afterFailedAttempts: failures, failedAt: now) {
                let change = transition(.pastDue, retry: RetryState(failedAttempts: failures, nextAttemptAt: next), advance: false)
                return RenewalDecision(kind: .retryScheduled, record: record(update, appliesToSubscription ? change : nil))
            }
            let change = transition(.canceled, retry: nil, advance: false)
            return RenewalDecision(kind: .canceledForNonPayment, record: record(update, appliesToSubscription ? change : nil))
        }
        func leftOpen(_ status: ChargeStatus, _ code: String) -> RenewalDecision {
            if charge.isSettlingAtProvider {
                // Accepted and settling at the provider: an answer that settles nothing changes nothing but the next look.
                let update = ChargeUpdate(
                    idempotencyKey: charge.idempotencyKey, status: charge.status, failureCode: charge.failureCode, nextSendAt: lookUpAt)
                return RenewalDecision(
                    kind: charge.failureCode == Charge.actionRequiredCode ? .actionRequired : .processing, record: record(update, nil))
            }
            let update = ChargeUpdate(idempotencyKey: charge.idempotencyKey, status: status, failureCode: code, nextSendAt: retryOpenAt)
            return RenewalDecision(kind: .unknown, record: record(update, nil))
        }
        switch outcome {
        case .succeeded(let reference):
            if subscription.status == .canceled || subscription.status == .paused || subscription.status == .inactive {
                let update = ChargeUpdate(
                    idempotencyKey: charge.idempotencyKey, status: .succeeded, providerReference: reference,
                    reviewReason: subscription.status == .canceled ? refundReviewReason : pausedReviewReason)
                return RenewalDecision(kind: .charged, record: record(update, nil))
            }
            let update = ChargeUpdate(idempotencyKey: charge.idempotencyKey, status: .succeeded, providerReference: reference)
            var change = transition(.active, retry: nil, advance: true)
            change.appliesPendingPlan = subscription.chargeStartsPendingPlan(charge)
            return RenewalDecision(kind: .charged, record: record(update, appliesToSubscription ? change : nil))
        case .declined(let code, let declineCode, _, let hard, let reference):
            return failed(code: declineCode ?? code, hard: hard, reference: reference)
        case .retryable:
            if RetryableClosesCharge.isPutBack { return failed(code: "provider_unreachable", hard: false, reference: nil) }
            // Not reached this time; an earlier round may have reached it: the row keeps its status.
            return leftOpen(charge.status, "provider_unreachable")
        case .unknown:
            return leftOpen(.unknown, "outcome_unknown")
        case .idempotencyConflict:
            return leftOpen(.unknown, "idempotency_conflict")
        case .processing(let reference):
            let update = ChargeUpdate(
                idempotencyKey: charge.idempotencyKey, status: .pending, providerReference: reference, failureCode: Charge.processingCode,
                nextSendAt: lookUpAt)
            return RenewalDecision(kind: .processing, record: record(update, nil))
        case .requiresAction(let reference, let action):
            var update = ChargeUpdate(
                idempotencyKey: charge.idempotencyKey, status: .pending, providerReference: reference,
                failureCode: Charge.actionRequiredCode, nextSendAt: lookUpAt)
            update.customerAction = action
            // The dunning count stays: a decline after the customer's attempt continues dunning from it.
            let change = transition(.actionRequired, retry: subscription.retry, advance: false)
            let moves = appliesToSubscription && subscription.status != .actionRequired
            return RenewalDecision(kind: .actionRequired, record: record(update, moves ? change : nil))
        case .rateLimited:
            return RenewalDecision(kind: .deferred, record: nil)
        }
    }

    /// Parks `charge` for an operator: it stays open with its key, nothing more is sent for it,
    /// and the subscription does not move until `billing charges resolve` settles it.
    public static func park(charge: Charge, reason: String) -> RenewalDecision {
        let update = ChargeUpdate(
            idempotencyKey: charge.idempotencyKey, status: charge.status, failureCode: charge.failureCode, reviewReason: reason)
        return RenewalDecision(
            kind: .needsReview,
            record: RenewalRecord(subscriptionID: charge.subscriptionID, periodStart: charge.periodStart, charge: update, subscription: nil)
        )
    }
}
