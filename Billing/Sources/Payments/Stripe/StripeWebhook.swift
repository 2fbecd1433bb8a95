import Crypto
import Foundation

/// Stripe's webhook signatures, as Stripe documents them: the `Stripe-Signature` header
/// `t=<unix seconds>,v1=<hex>[,v1=<hex>...]`, each `v1` an HMAC-SHA256 under the endpoint's signing
/// secret of `<t>.<payload>`. Any one `v1` that matches any one secret verifies the payload
/// (several secrets while one is being rotated out); a timestamp more than ``tolerance`` away from
/// now is refused, so that a captured delivery cannot be replayed later.
public enum StripeWebhook {
    /// How far the signature's time may be from now: Stripe's libraries default to 5 minutes.
    public static let tolerance: Duration = .seconds(300)

    /// The `Stripe-Signature` header for `payload` signed with `secret` at `timestamp` (Unix seconds).
    public static func signatureHeader(payload: [UInt8], secret: String, timestamp: Int64) -> String {
        let code = HMAC<SHA256>.authenticationCode(for: signedContent(payload, timestamp), using: SymmetricKey(data: Data(secret.utf8)))
        return "t=\(timestamp),v1=\(code.map { String(format: "%02x", $0) }.joined())"
    }

    /// Checks `header` against `payload` and `secrets` at `now` (Unix seconds); returns the
    /// signature's timestamp.
    /// - Throws: ``StripeWebhookError`` saying what was wrong (never what was expected).
    @discardableResult
    public static func verify(
        payload: [UInt8], header: String?, secrets: [String], now: Int64, tolerance: Duration = tolerance
    ) throws(StripeWebhookError) -> Int64 {
        guard let header, !header.isEmpty else { throw StripeWebhookError(.missingSignature, "no Stripe-Signature header") }
        var timestamp: Int64?
        var signatures: [[UInt8]] = []
        for item in header.split(separator: ",") {
            let parts = item.split(separator: "=", maxSplits: 1)
            guard parts.count == 2 else { continue }
            let (name, value) = (parts[0].trimmingCharacters(in: .whitespaces), String(parts[1]))
            if name == "t" { timestamp = Int64(value) }
            if name == "v1", let bytes = hexBytes(value) { signatures.append(bytes) }
        }
        guard let timestamp else { throw StripeWebhookError(.malformedSignature, "the Stripe-Signature header has no t= timestamp") }
        guard !signatures.isEmpty else { throw StripeWebhookError(.malformedSignature, "the Stripe-Signature header has no v1= signature") }
        let content = signedContent(payload, timestamp)
        let matches = secrets.contains { secret in
            let key = SymmetricKey(data: Data(secret.utf8))
            return signatures.contains { HMAC<SHA256>.isValidAuthenticationCode($0, authenticating: content, using: key) }
        }
        guard matches else {
            throw StripeWebhookError(.badSignature, "no v1 signature matches the payload under the configured signing secret(s)")
        }
        guard abs(now - timestamp) <= tolerance.components.seconds else {
            throw StripeWebhookError(.outsideTolerance, "the signature's time \(timestamp) is more than \(tolerance) from now (\(now))")
        }
        return timestamp
    }

    private static func signedContent(_ payload: [UInt8], _ timestamp: Int64) -> [UInt8] { Array("\(timestamp).".utf8) + payload }

    private static func hexBytes(_ text: String) -> [UInt8]? {
        let digits = Array(text.utf8)
        guard digits.count == 64 else { return nil }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(32)
        for index in stride(from: 0, to: digits.count, by: 2) {
            guard let byte = UInt8(String(decoding: digits[index..<index + 2], as: UTF8.self), radix: 16) else { return nil }
            bytes.append(byte)
        }
        return bytes
    }
}

/// A webhook delivery that cannot be trusted or read, and why.
public struct StripeWebhookError: Error, Sendable, CustomStringConvertible {
    /// What kind of refusal.
    public enum Code: String, Sendable {
        case missingSignature, malformedSignature, badSignature, outsideTolerance, malformedEvent
    }
    public let code: Code
    public let message: String
    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }
    public var description: String { message }
}
