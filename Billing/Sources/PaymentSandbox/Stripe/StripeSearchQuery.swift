/// The part of Stripe's search query language the sandbox understands, for PaymentIntents.
///
/// Clauses `field:value` joined by spaces or `AND` (all must match), where the field is
/// `metadata['key']` (or `metadata["key"]`), `status`, `customer` or `currency`, and the value is
/// quoted with `'` or `"` (a backslash escapes the next character, as Stripe documents for
/// quotes) or, for the plain fields, a bare word. Matching is exact. `OR`, negation (`-field:`),
/// substring (`~`) and numeric comparisons are refused with a message, not ignored.
struct StripeSearchQuery: Sendable, Equatable {
    /// What a clause compares.
    enum Field: Sendable, Equatable {
        case metadata(String)
        case status
        case customer
        case currency
    }

    /// One `field:value` clause.
    struct Clause: Sendable, Equatable {
        var field: Field
        var value: String
    }

    /// A query the sandbox cannot read, and why.
    struct Unsupported: Error, Equatable {
        var message: String
    }

    /// The clauses, all of which must match.
    var clauses: [Clause]

    /// Parses `text`; throws ``Unsupported`` naming what it could not read.
    init(parsing text: String) throws(Unsupported) {
        var scanner = Scanner(Array(text))
        var clauses: [Clause] = []
        while true {
            scanner.skipSpaces()
            if scanner.isAtEnd { break }
            if !clauses.isEmpty, let word = scanner.peekWord(), word.uppercased() == "AND" || word.uppercased() == "OR" {
                guard word.uppercased() == "AND" else {
                    throw Unsupported(message: "the sandbox's search supports AND only, not OR: \(text)")
                }
                scanner.advance(by: word.count)
                scanner.skipSpaces()
            }
            clauses.append(try scanner.clause(in: text))
        }
        guard !clauses.isEmpty else { throw Unsupported(message: "the search query is empty") }
        self.clauses = clauses
    }

    /// Whether `intent` satisfies every clause.
    func matches(_ intent: StripePaymentIntent) -> Bool {
        clauses.allSatisfy { clause in
            switch clause.field {
            case .metadata(let key): intent.metadata[key] == clause.value
            case .status: intent.status == clause.value
            case .customer: intent.customer == clause.value
            case .currency: intent.currency == clause.value.lowercased()
            }
        }
    }

    /// Reads clauses character by character.
    private struct Scanner {
        let characters: [Character]
        var index = 0

        init(_ characters: [Character]) { self.characters = characters }

        var isAtEnd: Bool { index >= characters.count }

        mutating func skipSpaces() {
            while !isAtEnd, characters[index].isWhitespace { index += 1 }
        }

        mutating func advance(by count: Int) { index += count }

        /// The letters from here to the next space, if any.
        func peekWord() -> String? {
            var end = index
            while end < characters.count, !characters[end].isWhitespace { end += 1 }
            return end > index ? String(characters[index..<end]) : nil
        }

        mutating func clause(in text: String) throws(Unsupported) -> Clause {
            if characters[index] == "-" {
                throw Unsupported(message: "the sandbox's search does not support negation (-field:value): \(text)")
            }
            var name = ""
            while !isAtEnd, characters[index].isLetter || characters[index] == "_" || characters[index] == "." {
                name.append(characters[index])
                index += 1
            }
            let field: Field
            switch name {
            case "metadata":
                guard !isAtEnd, characters[index] == "[" else {
                    throw Unsupported(message: "metadata must be followed by ['key']: \(text)")
                }
                index += 1
                let key = try quoted(in: text)
                guard !isAtEnd, characters[index] == "]" else {
                    throw Unsupported(message: "metadata['key'] is missing its closing ]: \(text)")
                }
                index += 1
                field = .metadata(key)
            case "status": field = .status
            case "customer": field = .customer
            case "currency": field = .currency
            default:
                throw Unsupported(
                    message:
                        "the sandbox's search supports the fields metadata['key'], status, customer and currency, not \"\(name)\": \(text)"
                )
            }
            guard !isAtEnd, characters[index] == ":" else {
                throw Unsupported(message: "the sandbox's search supports exact matches (field:value) only: \(text)")
            }
            index += 1
            guard !isAtEnd else { throw Unsupported(message: "a clause has no value: \(text)") }
            if characters[index] == "'" || characters[index] == "\"" {
                return Clause(field: field, value: try quoted(in: text))
            }
            if case .metadata = field {
                throw Unsupported(message: "a metadata value must be quoted: \(text)")
            }
            var value = ""
            while !isAtEnd, !characters[index].isWhitespace {
                value.append(characters[index])
                index += 1
            }
            guard !value.contains(where: { $0 == "~" || $0 == ">" || $0 == "<" }) else {
                throw Unsupported(message: "the sandbox's search supports exact matches only: \(text)")
            }
            return Clause(field: field, value: value)
        }

        /// A string in `'` or `"`, a backslash escaping the character after it.
        mutating func quoted(in text: String) throws(Unsupported) -> String {
            guard !isAtEnd, characters[index] == "'" || characters[index] == "\"" else {
                throw Unsupported(message: "expected a quoted string at character \(index + 1): \(text)")
            }
            let quote = characters[index]
            index += 1
            var value = ""
            while !isAtEnd {
                let character = characters[index]
                index += 1
                if character == "\\", !isAtEnd {
                    value.append(characters[index])
                    index += 1
                } else if character == quote {
                    return value
                } else {
                    value.append(character)
                }
            }
            throw Unsupported(message: "a quoted string is not closed: \(text)")
        }
    }
}
