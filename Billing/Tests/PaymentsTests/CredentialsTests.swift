import Foundation
import Payments
import Testing

@Suite("API keys: environment or file, never printed")
struct CredentialsTests {
    @Test("a secret prints as <redacted> everywhere")
    func redaction() throws {
        let secret = APISecret("sk_live_very_secret")
        #expect("\(secret)" == "<redacted>")
        #expect(String(reflecting: secret) == "APISecret(<redacted>)")
        var dumped = ""
        dump(secret, to: &dumped)
        #expect(!dumped.contains("very_secret"))
        let configuration = StripeClient.Configuration(apiKey: secret)
        #expect(!"\(configuration)".contains("very_secret"))
        var dumpedConfiguration = ""
        dump(configuration, to: &dumpedConfiguration)
        #expect(!dumpedConfiguration.contains("very_secret"))
    }

    @Test("from the variable, from the _FILE variable, neither, both")
    func environment() throws {
        let direct = try StripeClient.Configuration.fromEnvironment(environment: ["STRIPE_API_KEY": "sk_test_1"])
        #expect(direct.apiKey == APISecret("sk_test_1"))

        let path = FileManager.default.temporaryDirectory.appendingPathComponent("stripe-key-\(UUID().uuidString)").path
        try "sk_test_from_file\n".write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let fromFile = try StripeClient.Configuration.fromEnvironment(environment: ["STRIPE_API_KEY_FILE": path])
        #expect(fromFile.apiKey == APISecret("sk_test_from_file"))

        #expect(throws: PaymentError.self) { try StripeClient.Configuration.fromEnvironment(environment: [:]) }
        #expect(throws: PaymentError.self) {
            try StripeClient.Configuration.fromEnvironment(environment: ["STRIPE_API_KEY": "a", "STRIPE_API_KEY_FILE": path])
        }
        do {
            _ = try StripeClient.Configuration.fromEnvironment(environment: ["STRIPE_API_KEY_FILE": "/nonexistent/key"])
            Issue.record("expected an error")
        } catch let error as PaymentError {
            #expect(error.code == .missingCredentials)
            #expect(error.message.contains("STRIPE_API_KEY_FILE"))
        }

        let payPal = try PayPalClient.Configuration.fromEnvironment(
            environment: ["PAYPAL_CLIENT_ID": "id", "PAYPAL_CLIENT_SECRET_FILE": path]
        )
        #expect(payPal.clientID == "id")
        #expect(payPal.clientSecret == APISecret("sk_test_from_file"))
        #expect(throws: PaymentError.self) { try PayPalClient.Configuration.fromEnvironment(environment: ["PAYPAL_CLIENT_ID": "id"]) }
    }

    @Test("unusable configurations and requests are refused before anything is sent")
    func validation() async throws {
        #expect(throws: PaymentError.self) {
            try StripeClient(configuration: .init(apiKey: APISecret("k"), baseURL: "ftp://x"), logger: quietLogger)
        }
        #expect(throws: PaymentError.self) {
            try StripeClient(configuration: .init(apiKey: APISecret("k"), requestTimeout: .zero), logger: quietLogger)
        }
        let client = try StripeClient(configuration: .init(apiKey: APISecret("k"), baseURL: "http://127.0.0.1:9"), logger: quietLogger)
        await #expect(throws: PaymentError.self) { try await client.charge(charge(key: "")) }
        await #expect(throws: PaymentError.self) { try await client.charge(charge(key: String(repeating: "k", count: 256))) }
        await #expect(throws: PaymentError.self) { try await client.charge(charge(amount: 0)) }
        await #expect(throws: PaymentError.self) { try await client.charge(charge(currency: "DOLLARS")) }
    }
}
