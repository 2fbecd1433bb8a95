/// Which PayPal refusals are hard (never charge the same vaulted source again) and which are soft.
///
/// PayPal reports a refusal either as an HTTP 422 `issue` (`INSTRUMENT_DECLINED`,
/// `PAYER_ACTION_REQUIRED`, ...) or as a capture with status `DECLINED` whose
/// `processor_response.response_code` carries the card network's reason. Everything not listed
/// here is soft, including `INSTRUMENT_DECLINED`, `TRANSACTION_REFUSED` and insufficient funds
/// (`5120`).
public enum PayPalDeclineCodes {
    /// `issue` values that end the payment source for good.
    public static let hardIssues: Set<String> = [
        "PAYER_ACCOUNT_LOCKED_OR_CLOSED",
        "PAYER_ACCOUNT_RESTRICTED",
        "PAYER_CANNOT_PAY",
        "CARD_EXPIRED",
        "CARD_CLOSED",
        "COMPLIANCE_VIOLATION",
        "INVALID_VAULT_ID",
    ]

    /// `issue` values that are refusals of this payment (soft unless in ``hardIssues``); other
    /// 422 issues describe a malformed request.
    public static let declineIssues: Set<String> = hardIssues.union([
        "INSTRUMENT_DECLINED",
        "PAYER_ACTION_REQUIRED",
        "TRANSACTION_REFUSED",
        "MAX_NUMBER_OF_PAYMENT_ATTEMPTS_EXCEEDED",
        "TRANSACTION_LIMIT_EXCEEDED",
        "REDIRECT_PAYER_FOR_ALTERNATE_FUNDING",
    ])

    /// Processor response codes that end the card for good: expired card (5400), suspected
    /// fraud (9500), lost or stolen card (9520).
    public static let hardProcessorCodes: Set<String> = ["5400", "9500", "9520"]

    /// Readable names of the processor codes the sandbox and common declines use.
    public static let processorCodeNames: [String: String] = [
        "0500": "do_not_honor",
        "5120": "insufficient_funds",
        "5400": "expired_card",
        "9500": "suspected_fraud",
        "9520": "lost_or_stolen",
    ]
}
