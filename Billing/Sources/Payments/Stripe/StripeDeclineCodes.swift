/// Which Stripe decline codes are hard (never retry the same payment method) and which are soft.
///
/// Hard: the card is gone or the issuer said never to try again. Everything not listed is soft
/// (insufficient funds, generic decline, do-not-honor, processing errors, try-again-later): the
/// dunning schedule may retry it. The list follows Stripe's decline-code table ("next steps":
/// the customer must use another card).
public enum StripeDeclineCodes {
    /// Decline codes (or error codes) after which the same payment method must not be charged again.
    public static let hard: Set<String> = [
        "expired_card",
        "stolen_card",
        "lost_card",
        "pickup_card",
        "fraudulent",
        "restricted_card",
        "merchant_blacklist",
        "security_violation",
        "invalid_account",
        "incorrect_number",
        "invalid_number",
        "card_not_supported",
        "currency_not_supported",
        "stop_payment_order",
        "revocation_of_authorization",
        "revocation_of_all_authorizations",
        "transaction_not_allowed",
        "new_account_information_available",
    ]

    /// Whether a decline with this `decline_code` (or, when absent, error `code`) is hard.
    public static func isHard(code: String, declineCode: String?) -> Bool {
        hard.contains(declineCode ?? code) || hard.contains(code)
    }
}
