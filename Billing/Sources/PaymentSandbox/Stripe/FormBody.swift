/// A decoded `application/x-www-form-urlencoded` body (or query string).
struct FormBody: Sendable {
    /// The fields in the order they came.
    var fields: [(name: String, value: String)]

    /// Decodes `a=1&b=two+words&metadata%5Bk%5D=v`. Malformed escapes are kept as they are.
    init(_ bytes: some Collection<UInt8>) {
        fields = bytes.split(separator: UInt8(ascii: "&"), omittingEmptySubsequences: true).map { pair in
            let parts = pair.split(separator: UInt8(ascii: "="), maxSplits: 1, omittingEmptySubsequences: false)
            let name = FormBody.unescape(parts[0])
            let value = parts.count > 1 ? FormBody.unescape(parts[1]) : ""
            return (name, value)
        }
    }

    /// The last value of a field.
    subscript(_ name: String) -> String? { fields.last { $0.name == name }?.value }

    /// `metadata[key]=value` fields as a dictionary.
    func dictionary(_ prefix: String) -> [String: String] {
        var result: [String: String] = [:]
        let opening = prefix + "["
        for field in fields where field.name.hasPrefix(opening) && field.name.hasSuffix("]") {
            let key = String(field.name.dropFirst(opening.count).dropLast())
            result[key] = field.value
        }
        return result
    }

    /// A canonical form for comparing requests: fields sorted by name, then value.
    var fingerprint: String {
        fields.sorted { ($0.name, $0.value) < ($1.name, $1.value) }
            .map { "\($0.name)=\($0.value)" }
            .joined(separator: "&")
    }

    private static func unescape(_ bytes: some Collection<UInt8>) -> String {
        var output: [UInt8] = []
        output.reserveCapacity(bytes.count)
        var index = bytes.startIndex
        while index != bytes.endIndex {
            let byte = bytes[index]
            if byte == UInt8(ascii: "+") {
                output.append(UInt8(ascii: " "))
            } else if byte == UInt8(ascii: "%"),
                let first = bytes.index(index, offsetBy: 1, limitedBy: bytes.endIndex), first != bytes.endIndex,
                let second = bytes.index(first, offsetBy: 1, limitedBy: bytes.endIndex), second != bytes.endIndex,
                let high = hexValue(bytes[first]), let low = hexValue(bytes[second])
            {
                output.append(high << 4 | low)
                index = second
            } else {
                output.append(byte)
            }
            index = bytes.index(after: index)
        }
        return String(decoding: output, as: UTF8.self)
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
