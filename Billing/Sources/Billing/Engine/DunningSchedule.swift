/// When a failed renewal is tried again, and when dunning gives up.
///
/// ``retryOffsets`` are measured from the first failure: the default retries 1, 3, 5 and 7 days
/// after it, and cancels the subscription when the attempt 7 days after fails. Each retry is
/// scheduled when the previous attempt fails, as that failure's time plus the gap between two
/// offsets, so retries stay spaced even when the engine ran late (after downtime). A hard decline
/// (expired or stolen card) is never retried.
public struct DunningSchedule: Hashable, Sendable {
    /// Retry times after the first failure, increasing.
    public var retryOffsets: [Duration]

    /// Retries 1, 3, 5 and 7 days after the first failure.
    public static let `default` = DunningSchedule(uncheckedOffsets: [
        .seconds(86_400), .seconds(3 * 86_400), .seconds(5 * 86_400), .seconds(7 * 86_400),
    ])

    /// No retries: the first failure cancels.
    public static let none = DunningSchedule(uncheckedOffsets: [])

    /// Creates a schedule.
    /// - Throws: ``BillingError/Code/invalidConfiguration`` unless the offsets are positive and increasing.
    public init(retryOffsets: [Duration]) throws(BillingError) {
        var previous = Duration.zero
        for offset in retryOffsets {
            guard offset > previous else {
                throw BillingError(
                    code: .invalidConfiguration, message: "dunning retry offsets must be positive and increasing, not \(retryOffsets)")
            }
            previous = offset
        }
        self.retryOffsets = retryOffsets
    }

    /// Reads a schedule written as comma-separated offsets with a unit each (`s`, `m`, `h`, `d`),
    /// for example `1d,3d,5d,7d` (the default) or `5s,10s,15s`; `none` retries nothing.
    /// - Throws: ``BillingError/Code/invalidConfiguration`` naming the offset it could not read.
    public init(parsing text: String) throws(BillingError) {
        func trimmed(_ text: Substring) -> String {
            var text = text
            while text.first == " " { text.removeFirst() }
            while text.last == " " { text.removeLast() }
            return String(text)
        }
        guard trimmed(text[...]).lowercased() != "none" else {
            self = .none
            return
        }
        var offsets: [Duration] = []
        for part in text.split(separator: ",", omittingEmptySubsequences: false) {
            let item = trimmed(part)
            let units: [Character: Int64] = ["s": 1, "m": 60, "h": 3600, "d": 86_400]
            guard let unit = item.last.flatMap({ units[$0] }), let count = Int64(item.dropLast()), count > 0, count <= 3650 * 86_400 / unit
            else {
                throw BillingError(
                    code: .invalidConfiguration,
                    message:
                        "dunning offset '\(item)' in '\(text)' is not a positive number with a unit (s, m, h or d); write for example 1d,3d,5d,7d, or none"
                )
            }
            offsets.append(.seconds(count * unit))
        }
        try self.init(retryOffsets: offsets)
    }

    private init(uncheckedOffsets: [Duration]) {
        self.retryOffsets = uncheckedOffsets
    }

    /// The most attempts a period gets: the first plus one per retry.
    public var maximumAttempts: Int { retryOffsets.count + 1 }

    /// When to try again after the `failedAttempts`-th failure happened at `failedAt`, or nil when
    /// dunning is over.
    public func nextAttempt(afterFailedAttempts failedAttempts: Int, failedAt: Timestamp) -> Timestamp? {
        guard failedAttempts >= 1, failedAttempts <= retryOffsets.count else { return nil }
        let previousOffset = failedAttempts >= 2 ? retryOffsets[failedAttempts - 2] : .zero
        return failedAt + (retryOffsets[failedAttempts - 1] - previousOffset)
    }
}
