/// Builds an `application/x-www-form-urlencoded` body, in the order the fields are added.
struct FormEncoder {
    private(set) var fields: [(name: String, value: String)] = []

    /// Appends one field.
    mutating func append(_ name: String, _ value: String) {
        fields.append((name, value))
    }

    /// The encoded body: `name=value&...`, spaces as `+`, everything outside the unreserved set percent-encoded.
    var encoded: String {
        fields.map { Self.escape($0.name) + "=" + Self.escape($0.value) }.joined(separator: "&")
    }

    /// Percent-encodes one name or value.
    static func escape(_ text: String) -> String {
        var result = ""
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."),
                UInt8(ascii: "_"), UInt8(ascii: "~"), UInt8(ascii: "*"):
                result.unicodeScalars.append(Unicode.Scalar(byte))
            case UInt8(ascii: " "):
                result += "+"
            default:
                result += "%" + String(byte, radix: 16, uppercase: true).leftPadded(to: 2)
            }
        }
        return result
    }
}

extension String {
    fileprivate func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}
