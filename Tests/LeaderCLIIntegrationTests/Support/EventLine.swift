/// One event line printed by `leader`: `EVENT [WORD...] key=value ... mono_ns=N`.
struct EventLine: Sendable, CustomStringConvertible {
    /// The first word (`elected`, `lost`, `leader`, ...).
    var event: String
    /// Bare words after the event (`none` in `leader none`).
    var words: [String]
    /// The `key=value` fields, values unquoted.
    var fields: [String: String]
    /// The line as printed.
    var text: String

    /// Parses `text`; nil when it is empty.
    init?(_ text: String) {
        var tokens: [String] = []
        var current = ""
        var inQuotes = false
        var escaped = false
        for character in text {
            if escaped {
                current.append(character == "n" ? "\n" : character == "t" ? "\t" : character)
                escaped = false
            } else if character == "\\" && inQuotes {
                escaped = true
            } else if character == "\"" {
                inQuotes.toggle()
            } else if character == " " && !inQuotes {
                if !current.isEmpty { tokens.append(current) }
                current = ""
            } else {
                current.append(character)
            }
        }
        if !current.isEmpty { tokens.append(current) }
        guard let first = tokens.first else { return nil }
        event = first
        words = []
        fields = [:]
        for token in tokens.dropFirst() {
            if let equals = token.firstIndex(of: "=") {
                fields[String(token[..<equals])] = String(token[token.index(after: equals)...])
            } else {
                words.append(token)
            }
        }
        self.text = text
    }

    /// The `mono_ns` field.
    var mono: Int64 { fields["mono_ns"].flatMap { Int64($0) } ?? 0 }
    /// The `token` field as a number.
    var token: Int64? { fields["token"].flatMap { Int64($0) } }
    /// The `deadline_mono_ns` field.
    var deadline: Int64? { fields["deadline_mono_ns"].flatMap { Int64($0) } }

    var description: String { text }
}
