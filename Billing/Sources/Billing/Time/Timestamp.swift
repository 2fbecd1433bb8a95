/// An instant in UTC, counted in whole milliseconds since 1970-01-01T00:00:00Z.
///
/// Integer milliseconds, so that instants compare, store and format exactly in both databases and
/// in idempotency keys. Limited to the years 1 through 9999. Not guaranteed: leap seconds (like
/// Unix time, every day has 86,400 seconds).
public struct Timestamp: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// Milliseconds since 1970-01-01T00:00:00Z; negative before it.
    public var millisecondsSinceEpoch: Int64

    static let millisecondsPerDay: Int64 = 86_400_000
    /// 0001-01-01T00:00:00Z.
    static let earliest: Int64 = CivilDate(year: 1, month: 1, day: 1).daysSinceEpoch * millisecondsPerDay
    /// 9999-12-31T23:59:59.999Z.
    static let latest: Int64 = (CivilDate(year: 9999, month: 12, day: 31).daysSinceEpoch + 1) * millisecondsPerDay - 1

    /// Wraps a count of milliseconds since the Unix epoch.
    public init(millisecondsSinceEpoch: Int64) {
        self.millisecondsSinceEpoch = millisecondsSinceEpoch
    }

    /// The instant at a UTC calendar date and time of day.
    /// - Throws: ``BillingError/Code/invalidTimestamp`` for a day that does not exist (February
    ///   30), a time out of range, or a year outside 1...9999.
    public init(year: Int, month: Int, day: Int, hour: Int = 0, minute: Int = 0, second: Int = 0, millisecond: Int = 0) throws(BillingError)
    {
        let date = CivilDate(year: Int64(year), month: Int64(month), day: Int64(day))
        guard (1...9999).contains(year), date.isValid, (0..<24).contains(hour), (0..<60).contains(minute),
            (0..<60).contains(second), (0..<1000).contains(millisecond)
        else {
            throw BillingError(
                code: .invalidTimestamp,
                message:
                    "\(year)-\(month)-\(day) \(hour):\(minute):\(second).\(millisecond) is not a UTC date and time between the years 1 and 9999"
            )
        }
        let milliseconds = ((Int64(hour) * 60 + Int64(minute)) * 60 + Int64(second)) * 1000 + Int64(millisecond)
        self.init(date: date, millisecondOfDay: milliseconds)
    }

    init(date: CivilDate, millisecondOfDay: Int64) {
        millisecondsSinceEpoch = date.daysSinceEpoch * Self.millisecondsPerDay + millisecondOfDay
    }

    /// The UTC calendar date.
    var date: CivilDate {
        CivilDate(daysSinceEpoch: floorDivide(millisecondsSinceEpoch, Self.millisecondsPerDay))
    }

    /// Milliseconds since midnight UTC.
    var millisecondOfDay: Int64 {
        millisecondsSinceEpoch - floorDivide(millisecondsSinceEpoch, Self.millisecondsPerDay) * Self.millisecondsPerDay
    }

    /// Whether the instant lies in the years 1...9999 (the range this library formats and computes in).
    public var isInSupportedRange: Bool { (Self.earliest...Self.latest).contains(millisecondsSinceEpoch) }

    /// The instant `duration` later (earlier when negative), truncated to whole milliseconds.
    public func advanced(by duration: Duration) -> Timestamp {
        Timestamp(millisecondsSinceEpoch: millisecondsSinceEpoch + duration.wholeMilliseconds)
    }

    /// The time from this instant to `other`.
    public func duration(to other: Timestamp) -> Duration {
        .milliseconds(other.millisecondsSinceEpoch - millisecondsSinceEpoch)
    }

    /// The instant `rhs` after `lhs`.
    public static func + (lhs: Timestamp, rhs: Duration) -> Timestamp { lhs.advanced(by: rhs) }

    public static func < (lhs: Timestamp, rhs: Timestamp) -> Bool {
        lhs.millisecondsSinceEpoch < rhs.millisecondsSinceEpoch
    }

    public var description: String { iso8601 }
}

extension Duration {
    /// The duration in whole milliseconds, truncated toward zero.
    var wholeMilliseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1000 + attoseconds / 1_000_000_000_000_000
    }
}

/// Division rounding toward negative infinity.
func floorDivide(_ dividend: Int64, _ divisor: Int64) -> Int64 {
    let quotient = dividend / divisor
    return (dividend % divisor != 0 && (dividend < 0) != (divisor < 0)) ? quotient - 1 : quotient
}
