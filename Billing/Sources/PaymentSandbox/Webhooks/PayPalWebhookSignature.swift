import Crypto
import Foundation

/// The sandbox's stand-in for PayPal's webhook signature: PayPal signs
/// `<transmission id>|<transmission time>|<webhook id>|<CRC32 of the body>` with a private key
/// whose certificate it names in `PAYPAL-CERT-URL`; the sandbox signs the same string with an HMAC
/// key of its own, so that, as at PayPal, a receiver verifies through the sandbox's
/// `POST /v1/notifications/verify-webhook-signature`. The CRC is over the event's canonical JSON
/// (keys sorted), so that an event parsed and written again still verifies.
struct PayPalWebhookSignature: Sendable {
    static let algorithm = "SHA256withRSA"
    private let key = SymmetricKey(size: .bits256)

    /// The signature of `event` for this transmission.
    func sign(event: [UInt8], transmissionID: String, time: String, webhookID: String) -> String? {
        guard let checksum = Self.checksum(event) else { return nil }
        let message = "\(transmissionID)|\(time)|\(webhookID)|\(checksum)"
        return Data(HMAC<SHA256>.authenticationCode(for: Data(message.utf8), using: key)).base64EncodedString()
    }

    /// Whether `signature` is this sandbox's for the transmission.
    func verify(event: [UInt8], transmissionID: String, time: String, webhookID: String, signature: String) -> Bool {
        sign(event: event, transmissionID: transmissionID, time: time, webhookID: webhookID) == signature
    }

    /// CRC-32 of the canonical form of a JSON object; nil when `event` is not one.
    static func checksum(_ event: [UInt8]) -> UInt32? {
        guard let object = try? JSONSerialization.jsonObject(with: Data(event)), object is [String: Any],
            let canonical = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])
        else { return nil }
        return crc32(Array(canonical))
    }

    /// CRC-32 (IEEE 802.3), as zlib computes it.
    static func crc32(_ bytes: [UInt8]) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in bytes {
            crc ^= UInt32(byte)
            for _ in 0..<8 { crc = (crc >> 1) ^ (0xEDB8_8320 & (0 &- (crc & 1))) }
        }
        return crc ^ 0xFFFF_FFFF
    }
}
