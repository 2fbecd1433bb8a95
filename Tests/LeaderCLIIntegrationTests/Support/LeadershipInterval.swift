/// One leadership as a process reported it: from `elected` to its truthful end.
struct LeadershipInterval: Sendable, CustomStringConvertible {
    /// Which process.
    var label: String
    /// The fencing token.
    var token: Int64
    /// `mono_ns` of the `elected` line.
    var start: Int64
    /// The end: `min(mono_ns, deadline_mono_ns)` of a `lost` line, `mono_ns` of `resigned`, the
    /// kill time of a killed process; `Int64.max` if still open.
    var end: Int64
    /// How it ended (`lost:cause`, `resigned`, `killed`, `open`).
    var ending: String

    var description: String { "\(label) token \(token) [\(start), \(end == .max ? "open" : "\(end)")] \(ending)" }

    /// The intervals in `lines` of one process; `killedAt` closes a leadership still open.
    static func intervals(label: String, lines: [EventLine], killedAt: Int64? = nil) -> [LeadershipInterval] {
        var result: [LeadershipInterval] = []
        var open: LeadershipInterval?
        for line in lines {
            switch line.event {
            case "elected":
                open = LeadershipInterval(label: label, token: line.token ?? -1, start: line.mono, end: .max, ending: "open")
            case "lost":
                guard var interval = open else { continue }
                interval.end = min(line.mono, line.deadline ?? line.mono)
                interval.ending = "lost:\(line.fields["cause"] ?? "?")"
                result.append(interval)
                open = nil
            case "resigned":
                guard var interval = open else { continue }
                interval.end = line.mono
                interval.ending = "resigned"
                result.append(interval)
                open = nil
            default:
                continue
            }
        }
        if var interval = open {
            if let killedAt {
                interval.end = killedAt
                interval.ending = "killed"
            }
            result.append(interval)
        }
        return result
    }

    /// Problems among `intervals` (all processes): overlaps, and tokens not increasing in time.
    static func violations(_ intervals: [LeadershipInterval]) -> [String] {
        let sorted = intervals.sorted { $0.start < $1.start }
        var problems: [String] = []
        for (earlier, later) in zip(sorted, sorted.dropFirst()) {
            if earlier.end > later.start {
                problems.append("overlap: \(earlier) ends \(Double(earlier.end - later.start) / 1e6) ms after \(later) starts")
            }
            if earlier.token >= later.token {
                problems.append("tokens not increasing: \(earlier) then \(later)")
            }
        }
        return problems
    }
}
