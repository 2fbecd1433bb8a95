import Foundation

/// A payment provider that charges a saved payment method off-session (Stripe, PayPal, the sandbox).
///
/// The contract that makes charges happen at most once: every request carries an idempotency key
/// derived from the business intent; the provider applies a key at most once and answers a retry
/// with the first outcome. A caller that does not know whether a charge happened (``ChargeOutcome/unknown(_:)``)
/// asks again with the same key, never with a new one.
public protocol PaymentProvider: Sendable {
    /// Charges `request.amount` to the payment method, once per idempotency key.
    ///
    /// Provider-side outcomes (declines, rate limits, server errors, lost responses) are returned
    /// as ``ChargeOutcome`` values, not thrown. Throws only ``PaymentError`` for faults that no
    /// retry can fix (bad credentials, a request the provider rejects as malformed).
    func charge(_ request: ChargeRequest) async throws -> ChargeOutcome

    /// Finds the charge that `request` (sent earlier, its key possibly forgotten since) made, by
    /// the references it carries (its metadata, among them `idempotency_key`), without charging.
    ///
    /// Used past ``idempotencyKeyRetention``, when re-sending the key could charge a second time.
    /// Throws ``PaymentError`` when no lookup is possible (``PaymentError/Code/lookupUnsupported``,
    /// bad credentials); the default implementation always throws.
    func lookUpCharge(_ request: ChargeRequest) async throws -> ChargeLookupResult

    /// How long the provider is known to keep an idempotency key and replay its first answer.
    /// The engine replays a key only within this, less its safety margin.
    var idempotencyKeyRetention: Duration { get }
}

/// One charge, as the renewal engine asks for it.
public struct ChargeRequest: Sendable, Hashable {
    /// The key the provider deduplicates on: `renewal:<subscription-id>:<period-start>`.
    public var idempotencyKey: String
    /// The amount in the currency's minor units (cents for USD, yen for JPY).
    public var amountMinor: Int64
    /// The ISO 4217 currency code, uppercase (`USD`).
    public var currency: String
    /// The provider's customer reference.
    public var customer: String
    /// The provider's saved payment-method reference.
    public var paymentMethod: String
    /// Extra key-value pairs recorded with the charge (subscription id, period).
    public var metadata: [String: String]

    /// Creates a request.
    public init(
        idempotencyKey: String, amountMinor: Int64, currency: String, customer: String, paymentMethod: String,
        metadata: [String: String] = [:]
    ) {
        self.idempotencyKey = idempotencyKey
        self.amountMinor = amountMinor
        self.currency = currency
        self.customer = customer
        self.paymentMethod = paymentMethod
        self.metadata = metadata
    }
}

/// What became of a charge request.
public enum ChargeOutcome: Sendable, Hashable {
    /// The money moved; `reference` is the provider's id (a PaymentIntent `pi_...`, a PayPal capture).
    case succeeded(reference: String)
    /// The provider declined. `hard` declines (expired card, stolen card) are not retried.
    case declined(code: String, declineCode: String?, message: String, hard: Bool, reference: String?)
    /// A transient provider fault (5xx, processing error) known not to have charged: retry later, same key.
    case retryable(message: String)
    /// Too many requests: back off for `retryAfter` (when the provider said) and retry with the same key.
    case rateLimited(retryAfter: Duration?)
    /// The key was used with different parameters, or a request with it is still in flight.
    case idempotencyConflict(message: String)
    /// Nobody knows whether the charge happened (timeout, connection lost after sending):
    /// reconcile by asking again with the same key.
    case unknown(message: String)
    /// The provider accepted the charge and settles it later (a bank debit: days): the charge is
    /// open, neither failed nor to be sent again; a webhook or a lookup of `reference` settles it.
    case processing(reference: String)
    /// The customer must authenticate the payment (strong customer authentication, a payer
    /// approval) before it can complete: no retry can help. `action` is what brings the customer
    /// back; the provider reports the outcome once they have acted (a webhook, a lookup).
    case requiresAction(reference: String, action: CustomerAction)
}

extension ChargeOutcome {
    /// Whether the outcome settles the charge for good: it succeeded or was declined.
    public var isFinal: Bool {
        switch self {
        case .succeeded, .declined: true
        default: false
        }
    }
}

/// What a business needs to bring a customer back to authenticate a payment: the provider's link,
/// or the client secret its front-end library confirms the payment with (Stripe's
/// `stripe.confirmCardPayment`).
public struct CustomerAction: Sendable, Hashable, Codable {
    /// A page the customer opens to authenticate, when the provider gives one.
    public var url: String?
    /// The secret a front end completes the payment with, when the provider gives one.
    public var clientSecret: String?

    /// Creates an action.
    public init(url: String? = nil, clientSecret: String? = nil) {
        self.url = url
        self.clientSecret = clientSecret
    }

    enum CodingKeys: String, CodingKey {
        case url
        case clientSecret = "client_secret"
    }

    /// The action as JSON (`{"url": ..., "client_secret": ...}`, keys sorted).
    public var json: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        return (try? encoder.encode(self)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
    }

    /// Reads an action from its JSON; nil when it is not one.
    public init?(json: String) {
        guard let action = try? JSONDecoder().decode(Self.self, from: Data(json.utf8)) else { return nil }
        self = action
    }
}

/// A fault no retry can fix: wrong credentials, a malformed request, a misconfigured provider URL.
///
/// The one public error type of the `Payments` module; ``code`` (see `PaymentError+Code.swift`)
/// says which kind of fault it is.
public struct PaymentError: Error, Sendable, CustomStringConvertible {
    /// What kind of fault this is; ``Code/unspecified`` for errors made with ``init(_:cause:)``.
    public var code: Code
    /// What went wrong and what to do about it.
    public var message: String
    /// The underlying error, if any.
    public var cause: (any Error)?

    /// Creates an error.
    public init(_ message: String, cause: (any Error)? = nil) {
        self.init(code: .unspecified, message: message, cause: cause)
    }

    /// Creates an error of a given kind.
    public init(code: Code, message: String, cause: (any Error)? = nil) {
        self.code = code
        self.message = message
        self.cause = cause
    }

    public var description: String { cause.map { "\(message) (cause: \($0))" } ?? message }
}
