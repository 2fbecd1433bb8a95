/// When each candidate's leadership body started and ended, on this process's monotonic clock,
/// so that a check can tell whether two candidates ever led at the same instant.
final class LeadershipIntervals: Sendable {
    private struct Interval {
        var name: String
        var start: ContinuousClock.Instant
        var end: ContinuousClock.Instant?
    }

    private let clock = ContinuousClock()
    private let intervals = Locked<[Interval]>([])
    private let changed = Locked<[Gate]>([])

    /// The body of a leadership: records its start, holds it until cancelled (unless `hold` is
    /// false), and records its end.
    func lead(_ name: String, hold: Bool = true) async {
        let index = intervals.withLock { intervals in
            intervals.append(Interval(name: name, start: clock.now))
            return intervals.count - 1
        }
        signal()
        if hold {
            // Ends when the election cancels the body: leadership lost or the check is over.
            while !Task.isCancelled { try? await Task.sleep(for: .seconds(3600)) }
        }
        intervals.withLock { $0[index].end = clock.now }
    }

    /// Returns once `name` has started to lead.
    func waitUntilLeading(_ name: String) async throws {
        while true {
            let gate = Gate()
            changed.withLock { $0.append(gate) }
            if intervals.withLock({ $0.contains { $0.name == name } }) { return }
            try await gate.wait()
        }
    }

    /// The candidates that led, in order of their start.
    var names: [String] { intervals.withLock { $0.map(\.name) } }

    /// Every pair of leaderships of different candidates that overlapped, described.
    var overlaps: [String] {
        let all = intervals.withLock { $0 }
        var found: [String] = []
        for (i, a) in all.enumerated() {
            for b in all[(i + 1)...] where a.name != b.name {
                let aEnd = a.end ?? clock.now
                let bEnd = b.end ?? clock.now
                if a.start < bEnd && b.start < aEnd {
                    let overlap = min(aEnd, bEnd) - max(a.start, b.start)
                    found.append("\(a.name) and \(b.name) for \(overlap)")
                }
            }
        }
        return found
    }

    private func signal() {
        let gates = changed.withLock { gates in
            defer { gates = [] }
            return gates
        }
        for gate in gates { gate.open() }
    }
}
