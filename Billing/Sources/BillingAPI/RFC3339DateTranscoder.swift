import Foundation
import OpenAPIRuntime

/// Dates as the document's `date-time` (RFC 3339) allows them: written in UTC with milliseconds
/// (the store keeps milliseconds), read with or without fractional seconds and with any offset.
/// The runtime's own transcoders each accept only one of the two forms, and refused a valid
/// `start_at` such as `2026-01-31T00:00:00Z` with 400 (found by the schemathesis fuzzer).
struct RFC3339DateTranscoder: DateTranscoder {
    private static let withFractions = Date.ISO8601FormatStyle(includingFractionalSeconds: true)
    private static let withoutFractions = Date.ISO8601FormatStyle()

    func encode(_ date: Date) throws -> String { date.formatted(Self.withFractions) }

    func decode(_ text: String) throws -> Date {
        if let date = try? Date(text, strategy: Self.withFractions) { return date }
        if let date = try? Date(text, strategy: Self.withoutFractions) { return date }
        throw DecodingError.dataCorrupted(
            .init(codingPath: [], debugDescription: "'\(text.prefix(40))' is not an RFC 3339 date-time such as 2026-01-31T00:00:00Z"))
    }
}
