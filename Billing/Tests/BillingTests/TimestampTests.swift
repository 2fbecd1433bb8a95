import Billing
import Testing

struct TimestampTests {
    @Test(arguments: [
        ("1970-01-01T00:00:00Z", Int64(0)),
        ("1970-01-01T00:00:00.001Z", 1),
        ("1969-12-31T23:59:59.999Z", -1),
        ("2024-02-29T12:34:56Z", 1_709_210_096_000),
        ("2000-03-01T00:00:00Z", 951_868_800_000),
        ("0001-01-01T00:00:00Z", -62_135_596_800_000),
        ("9999-12-31T23:59:59.999Z", 253_402_300_799_999),
    ])
    func iso8601RoundTrips(text: String, milliseconds: Int64) throws {
        let timestamp = try Timestamp(iso8601: text)
        #expect(timestamp.millisecondsSinceEpoch == milliseconds)
        #expect(timestamp.iso8601 == text)
    }

    @Test(arguments: [
        "2025-02-29T00:00:00Z", "2025-13-01T00:00:00Z", "2025-01-01T24:00:00Z", "2025-01-01 00:00:00Z",
        "2025-01-01T00:00:00+01:00", "2025-01-01T00:00:00", "2025-1-01T00:00:00Z", "2025-01-01T00:00:00.5Z",
    ])
    func rejectsOtherForms(text: String) {
        #expect(throws: BillingError.self) { try Timestamp(iso8601: text) }
    }

    @Test func acceptsExplicitZeroOffset() throws {
        #expect(try Timestamp(iso8601: "2025-01-01T00:00:00+00:00") == Timestamp(iso8601: "2025-01-01T00:00:00Z"))
    }

    @Test func idempotencyKeysDeriveFromTheIntent() throws {
        let start = try Timestamp(iso8601: "2025-02-28T00:00:00Z")
        #expect(
            Subscription.idempotencyKey(subscriptionID: "sub_1", periodStart: start, attempt: 1) == "renewal:sub_1:2025-02-28T00:00:00Z")
        #expect(
            Subscription.idempotencyKey(subscriptionID: "sub_1", periodStart: start, attempt: 3)
                == "renewal:sub_1:2025-02-28T00:00:00Z:retry-2")
    }
}
