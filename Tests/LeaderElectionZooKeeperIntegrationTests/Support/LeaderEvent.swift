import Glibc

/// One event line of the `leader` CLI (`elected name=jobs id=a ... mono_ns=123`): its name and
/// fields, with logfmt's quoted values unquoted.
struct LeaderEvent: Sendable, CustomStringConvertible {
    /// The event: `campaigning`, `elected`, `lost`, `resigned`, ...
    var name: String
    var fields: [String: String]
    /// The whole line.
    var line: String

    /// Parses `line`; nil when it is not an event line (no `mono_ns`).
    init?(_ line: String) {
        var rest = Substring(line)
        var name = ""
        while let character = rest.first, character != " " {
            name.append(character)
            rest = rest.dropFirst()
        }
        var fields: [String: String] = [:]
        while !rest.isEmpty {
            rest = rest.drop { $0 == " " }
            guard let equals = rest.firstIndex(of: "=") else { break }
            let key = String(rest[..<equals])
            rest = rest[rest.index(after: equals)...]
            var value = ""
            if rest.first == "\"" {
                rest = rest.dropFirst()
                while let character = rest.first {
                    rest = rest.dropFirst()
                    if character == "\"" { break }
                    if character == "\\", let escaped = rest.first {
                        rest = rest.dropFirst()
                        value.append(escaped == "n" ? "\n" : escaped == "t" ? "\t" : escaped)
                    } else {
                        value.append(character)
                    }
                }
            } else {
                while let character = rest.first, character != " " {
                    value.append(character)
                    rest = rest.dropFirst()
                }
            }
            fields[key] = value
        }
        guard fields["mono_ns"] != nil else { return nil }
        self.name = name
        self.fields = fields
        self.line = line
    }

    /// When the line was written: `CLOCK_BOOTTIME` nanoseconds.
    var monoNanoseconds: Int64 { Int64(fields["mono_ns"] ?? "") ?? 0 }

    /// A `*_mono_ns` field (for example `deadline_mono_ns`).
    func nanoseconds(_ field: String) -> Int64? { fields[field].flatMap { Int64($0) } }

    var description: String { line }

    /// `CLOCK_BOOTTIME` now, in nanoseconds: the clock of the CLI's `mono_ns` fields.
    static func now() -> Int64 {
        var time = timespec()
        clock_gettime(CLOCK_BOOTTIME, &time)
        return Int64(time.tv_sec) * 1_000_000_000 + Int64(time.tv_nsec)
    }
}
