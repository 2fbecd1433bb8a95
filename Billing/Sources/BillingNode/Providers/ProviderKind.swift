import AsyncHTTPClient
import Foundation
import Logging
import Payments

/// Which payment provider a node charges through.
public enum ProviderKind: String, Sendable, CaseIterable {
    /// Stripe's PaymentIntents API (or the sandbox): key from `STRIPE_API_KEY` or `STRIPE_API_KEY_FILE`.
    case stripe
    /// PayPal's Orders v2 API (or the sandbox): `PAYPAL_CLIENT_ID` and `PAYPAL_CLIENT_SECRET` (or `_FILE`).
    case paypal

    /// The client for this provider at `baseURL`, with credentials from `environment`, and the
    /// request timeout from `BILLING_PROVIDER_TIMEOUT` (seconds) when set.
    /// - Throws: ``BillingNodeError`` naming the missing variable or the bad URL.
    func makeClient(baseURL: String, environment: [String: String], logger: Logger) throws -> any PaymentProvider {
        let timeout = try Self.requestTimeout(environment)
        do {
            switch self {
            case .stripe:
                var configuration = try StripeClient.Configuration.fromEnvironment(baseURL: baseURL, environment: environment)
                if let timeout { configuration.requestTimeout = timeout }
                return try StripeClient(configuration: configuration, logger: logger)
            case .paypal:
                var configuration = try PayPalClient.Configuration.fromEnvironment(baseURL: baseURL, environment: environment)
                if let timeout { configuration.requestTimeout = timeout }
                return try PayPalClient(configuration: configuration, logger: logger)
            }
        } catch let error as PaymentError {
            throw BillingNodeError(code: .invalidConfiguration, message: "\(rawValue) provider: \(error.message)", cause: error)
        }
    }

    /// `BILLING_PROVIDER_TIMEOUT`: how long one provider request may take, in seconds (default 30).
    /// It also bounds how long a refused connection is retried inside one request.
    static func requestTimeout(_ environment: [String: String]) throws -> Duration? {
        guard let text = environment["BILLING_PROVIDER_TIMEOUT"], !text.isEmpty else { return nil }
        guard let seconds = Double(text), seconds > 0, seconds <= 600 else {
            throw BillingNodeError(
                code: .invalidConfiguration,
                message: "BILLING_PROVIDER_TIMEOUT must be a number of seconds between 0 and 600, not '\(text)'"
            )
        }
        return .milliseconds(Int64(seconds * 1000))
    }
}
