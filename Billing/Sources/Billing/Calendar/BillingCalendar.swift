/// Period boundaries of a subscription, computed from its billing-cycle anchor in UTC.
///
/// Boundary `n` is `anchor + n × interval` in calendar months, its day clamped to the last day of
/// a short month, and the anchor's time of day kept. Every boundary is computed from the anchor,
/// never from the previous (already clamped) boundary, so a Jan 31 anchor gives Feb 28, Mar 31,
/// Apr 30, May 31 without drifting to the 28th. UTC has no daylight saving, so boundaries do not
/// move with local clock changes. Not guaranteed: a local-time or business-day calendar.
public enum BillingCalendar {
    /// Boundary number `index` of the cycle that starts at `anchor`: `index` 0 is the anchor itself,
    /// 1 the end of the first period, and so on.
    /// - Precondition: the result lies in the years 1...9999.
    public static func boundary(anchor: Timestamp, interval: BillingInterval, index: Int64) -> Timestamp {
        let date = anchor.date.addingMonths(index * interval.months)
        return Timestamp(date: date, millisecondOfDay: anchor.millisecondOfDay)
    }

    /// The index of `instant` among the cycle's boundaries, or nil when it is not a boundary.
    public static func index(ofBoundary instant: Timestamp, anchor: Timestamp, interval: BillingInterval) -> Int64? {
        let from = anchor.date
        let to = instant.date
        let months = (to.year - from.year) * 12 + (to.month - from.month)
        guard months % interval.months == 0 else { return nil }
        let index = months / interval.months
        return boundary(anchor: anchor, interval: interval, index: index) == instant ? index : nil
    }

    /// The end of the period that starts at boundary `periodStart`.
    /// - Throws: ``BillingError/Code/invalidSubscription`` when `periodStart` is not a boundary of the cycle.
    public static func periodEnd(
        startingAt periodStart: Timestamp, anchor: Timestamp, interval: BillingInterval
    ) throws(BillingError) -> Timestamp {
        guard let index = index(ofBoundary: periodStart, anchor: anchor, interval: interval) else {
            throw BillingError(
                code: .invalidSubscription,
                message: "period start \(periodStart) is not a \(interval) boundary of the billing-cycle anchor \(anchor)"
            )
        }
        return boundary(anchor: anchor, interval: interval, index: index + 1)
    }

    /// The first `count` period ends after the anchor: boundaries 1 through `count`.
    public static func periodEnds(anchor: Timestamp, interval: BillingInterval, count: Int) -> [Timestamp] {
        (1...max(count, 1)).prefix(count).map { boundary(anchor: anchor, interval: interval, index: Int64($0)) }
    }

    /// The period starts that fell due between `periodEnd` (the end of the last paid period) and
    /// `now`, inclusive, in order: what catching up after downtime bills, one period each.
    public static func duePeriodStarts(
        after periodEnd: Timestamp, until now: Timestamp, anchor: Timestamp, interval: BillingInterval
    ) throws(BillingError) -> [Timestamp] {
        var starts: [Timestamp] = []
        var start = periodEnd
        while start <= now {
            starts.append(start)
            start = try self.periodEnd(startingAt: start, anchor: anchor, interval: interval)
        }
        return starts
    }
}
