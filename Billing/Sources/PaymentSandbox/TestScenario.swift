/// What a test payment method does in the sandbox, and its names at Stripe and PayPal.
///
/// Stripe names are Stripe's own test PaymentMethods. PayPal vault ids are the sandbox's own
/// (`vault_...`); the PayPal endpoint also accepts the Stripe names. Any other payment method or
/// vault id succeeds, like ``succeeds``.
public enum TestScenario: String, Sendable, CaseIterable {
    /// The charge succeeds.
    case succeeds
    /// Declined: `card_declined` / `generic_decline` (PayPal: 422 `INSTRUMENT_DECLINED`).
    case genericDecline
    /// Declined: `card_declined` / `insufficient_funds` (PayPal: capture `DECLINED`, processor code 5120).
    case insufficientFunds
    /// Declined, hard: `expired_card` (PayPal: capture `DECLINED`, processor code 5400).
    case expiredCard
    /// Failed: `processing_error`, nothing charged (PayPal: 422 `TRANSACTION_REFUSED`).
    case processingError
    /// Declined, hard: `card_declined` / `lost_card` (PayPal: capture `DECLINED`, processor code 9520).
    case lostCard
    /// Declined, hard: `card_declined` / `stolen_card` (PayPal: capture `DECLINED`, processor code 9520).
    case stolenCard
    /// Declined, hard: `card_declined` / `fraudulent` (PayPal: capture `DECLINED`, processor code 9500).
    case fraudulent
    /// Like Stripe's `pm_card_authenticationRequired`: an off-session charge fails with
    /// `authentication_required` and its PaymentIntent waits for the customer, who completes it
    /// through `POST /sandbox/payment_intents/{id}/authenticate` (PayPal: an order
    /// `PAYER_ACTION_REQUIRED` with its `payer-action` link; the sandbox does not complete it).
    case authenticationRequired
    /// A bank debit that stays `processing` until `POST /sandbox/payment_intents/{id}/settle`
    /// (PayPal: a capture `PENDING`). The Stripe name is the sandbox's own.
    case processing

    /// The Stripe test PaymentMethod that triggers it.
    public var stripePaymentMethod: String {
        switch self {
        case .succeeds: "pm_card_visa"
        case .genericDecline: "pm_card_chargeDeclined"
        case .insufficientFunds: "pm_card_chargeDeclinedInsufficientFunds"
        case .expiredCard: "pm_card_chargeDeclinedExpiredCard"
        case .processingError: "pm_card_chargeDeclinedProcessingError"
        case .lostCard: "pm_card_visa_chargeDeclinedLostCard"
        case .stolenCard: "pm_card_visa_chargeDeclinedStolenCard"
        case .fraudulent: "pm_card_chargeDeclinedFraudulent"
        case .authenticationRequired: "pm_card_authenticationRequired"
        case .processing: "pm_usBankAccount_processing"
        }
    }

    /// The PayPal vault id that triggers it in the sandbox.
    public var payPalVaultID: String {
        switch self {
        case .succeeds: "vault_ok"
        case .genericDecline: "vault_declined"
        case .insufficientFunds: "vault_insufficient_funds"
        case .expiredCard: "vault_expired_card"
        case .processingError: "vault_processing_error"
        case .lostCard: "vault_lost_card"
        case .stolenCard: "vault_stolen_card"
        case .fraudulent: "vault_fraudulent"
        case .authenticationRequired: "vault_authentication_required"
        case .processing: "vault_pending"
        }
    }

    /// The scenario a payment method or vault id names; anything unknown succeeds.
    public init(paymentMethod: String) {
        self = Self.allCases.first { $0.stripePaymentMethod == paymentMethod || $0.payPalVaultID == paymentMethod } ?? .succeeds
    }

    /// Stripe's error `code`, `decline_code` and message for a failing scenario; `nil` for ``succeeds``.
    var stripeError: (code: String, declineCode: String?, message: String)? {
        switch self {
        case .succeeds, .processing: nil
        case .authenticationRequired:
            ("authentication_required", "authentication_required", "Your card was declined. This transaction requires authentication.")
        case .genericDecline: ("card_declined", "generic_decline", "Your card was declined.")
        case .insufficientFunds: ("card_declined", "insufficient_funds", "Your card has insufficient funds.")
        case .expiredCard: ("expired_card", "expired_card", "Your card has expired.")
        case .processingError: ("processing_error", nil, "An error occurred while processing your card. Try again in a little bit.")
        case .lostCard: ("card_declined", "lost_card", "Your card was declined.")
        case .stolenCard: ("card_declined", "stolen_card", "Your card was declined.")
        case .fraudulent: ("card_declined", "fraudulent", "Your card was declined.")
        }
    }
}
