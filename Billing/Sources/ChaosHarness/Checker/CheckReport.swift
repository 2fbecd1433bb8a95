import BillingNode

/// What the ``HistoryChecker`` found in one run.
struct CheckReport: Codable, Sendable {
    /// Unavailability figures of one fault kind, in milliseconds.
    struct Unavailability: Codable, Sendable {
        var samples: [Int64] = []
        /// Confirmed faults after which no charge followed (the run ended first): censored, not dropped.
        var withoutLaterCharge = 0
        var p50: Int64? { Self.percentile(samples, 0.50) }
        /// Nil below 100 samples: from fewer, a p99 is the maximum, and ``max`` says so.
        var p99: Int64? { samples.count >= 100 ? Self.percentile(samples, 0.99) : nil }
        var max: Int64? { samples.max() }

        static func percentile(_ values: [Int64], _ fraction: Double) -> Int64? {
            guard !values.isEmpty else { return nil }
            let sorted = values.sorted()
            let rank = Int((fraction * Double(sorted.count)).rounded(.up)) - 1
            return sorted[Swift.max(0, Swift.min(sorted.count - 1, rank))]
        }

        enum CodingKeys: String, CodingKey { case samples, withoutLaterCharge, p50, p99, max }
        init() {}
        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            samples = try container.decode([Int64].self, forKey: .samples)
            withoutLaterCharge = try container.decode(Int.self, forKey: .withoutLaterCharge)
        }
        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(samples, forKey: .samples)
            try container.encode(withoutLaterCharge, forKey: .withoutLaterCharge)
            try container.encodeIfPresent(p50, forKey: .p50)
            try container.encodeIfPresent(p99, forKey: .p99)
            try container.encodeIfPresent(max, forKey: .max)
        }
    }

    var audit: ChargeAudit
    var terms = 0
    var tokensHeldByMoreThanOneNode = 0
    /// The database's record of writes and fences, checked.
    var database = WriteAudit.Findings()
    /// Engine writes the database committed under a token below its fence (``WriteAudit``).
    var staleWritesAccepted: Int { database.staleWrites }
    /// Stale writes as the nodes' event logs show them.
    var staleWritesInNodeLogs = 0
    /// Leadership against the coordination store's record and between nodes.
    var leadership = LeadershipCheck.Findings()
    /// Each subscription's history against its model (``SubscriptionModel``).
    var model = SubscriptionModel.Findings()
    var fencedRejections = 0
    var chargeRowsWithUnheldToken = 0
    var earlyCharges = 0
    /// Per renewal, when the provider applied its first charge minus when it fell due (ms, the
    /// sandbox's clock against the due times the harness seeded).
    var lateness = Unavailability()
    var unavailability: [String: Unavailability] = [:]
    /// Every violation found (at most 50 listed); empty when the run kept every promise.
    var violations: [String] = []

    var isClean: Bool { violations.isEmpty }

    /// The signals that found something, each named as negative controls name the signal meant
    /// to catch them.
    var signals: [ControlSignal] {
        var signals: [ControlSignal] = []
        if staleWritesAccepted > 0 || database.fenceDecreases > 0 || database.writesAboveFence > 0 { signals.append(.staleWrite) }
        if audit.doubleCharges > 0 { signals.append(.doubleCharge) }
        if audit.missed > 0 { signals.append(.missed) }
        if leadership.foundOverlap { signals.append(.overlap) }
        if model.departures > 0 { signals.append(.model) }
        return signals
    }

    mutating func recordUnavailability(_ kind: FaultKind, milliseconds: Int64?) {
        if let milliseconds {
            unavailability[kind.rawValue, default: Unavailability()].samples.append(milliseconds)
        } else {
            unavailability[kind.rawValue, default: Unavailability()].withoutLaterCharge += 1
        }
    }
}
