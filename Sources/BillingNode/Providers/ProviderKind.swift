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

    /// The client for this provider at `baseURL`, with credentials from `environment`.
    /// - Throws: ``BillingNodeError`` naming the missing variable or the bad URL.
    func makeClient(baseURL: String, environment: [String: String], logger: Logger) throws -> any PaymentProvider {
        do {
            switch self {
            case .stripe:
                let configuration = try StripeClient.Configuration.fromEnvironment(baseURL: baseURL, environment: environment)
                return try StripeClient(configuration: configuration, logger: logger)
            case .paypal:
                let configuration = try PayPalClient.Configuration.fromEnvironment(baseURL: baseURL, environment: environment)
                return try PayPalClient(configuration: configuration, logger: logger)
            }
        } catch let error as PaymentError {
            throw BillingNodeError(code: .invalidConfiguration, message: "\(rawValue) provider: \(error.message)", cause: error)
        }
    }
}
