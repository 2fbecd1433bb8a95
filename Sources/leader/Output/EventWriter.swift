import Glibc
import Synchronization

/// Writes machine-readable event lines to standard output, one per event, each with a single
/// `write(2)` (no buffering: a reader sees the line at once, and lines never interleave).
///
/// A line is the event's name followed by `key=value` fields (logfmt quoting for values with
/// spaces, quotes or `=`), always ending with `mono_ns`, the `CLOCK_BOOTTIME` time of the line
/// (see ``MonotonicTime``). Example: `elected name=jobs id=host-42 key=jobs/7 token=7 mono_ns=…`.
final class EventWriter: Sendable {
    /// The process's writer.
    static let standardOutput = EventWriter()

    private let lock = Mutex(())

    private init() {}

    /// Writes one event line and flushes it.
    func emit(_ event: String, _ fields: KeyValuePairs<String, String> = [:]) {
        let mono = MonotonicTime.nanoseconds()
        var line = event
        for (key, value) in fields {
            line += " \(key)=\(Self.quoted(value))"
        }
        line += " mono_ns=\(mono)\n"
        lock.withLock { _ in _ = FileDescriptor.write(STDOUT_FILENO, line) }
    }

    /// `value` as it appears in a line: bare when it needs no quoting, else in double quotes.
    static func quoted(_ value: String) -> String {
        let needsQuotes =
            value.isEmpty || value.contains { $0 == " " || $0 == "\"" || $0 == "=" || $0 == "\\" || $0.isNewline || $0 == "\t" }
        guard needsQuotes else { return value }
        var text = "\""
        for character in value {
            switch character {
            case "\"": text += "\\\""
            case "\\": text += "\\\\"
            case "\n": text += "\\n"
            case "\t": text += "\\t"
            default: text.append(character)
            }
        }
        return text + "\""
    }
}
