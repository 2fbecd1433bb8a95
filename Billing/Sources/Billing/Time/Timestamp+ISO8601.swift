extension Timestamp {
    /// The instant in ISO 8601 UTC form: `2025-01-31T00:00:00Z`, with `.SSS` milliseconds only
    /// when they are not zero (`2025-01-31T09:30:00.250Z`). Deterministic: idempotency keys use it.
    public var iso8601: String {
        let date = self.date
        let milliseconds = millisecondOfDay
        let hour = milliseconds / 3_600_000
        let minute = milliseconds / 60_000 % 60
        let second = milliseconds / 1000 % 60
        let fraction = milliseconds % 1000
        var text = "\(pad(date.year, 4))-\(pad(date.month, 2))-\(pad(date.day, 2))T\(pad(hour, 2)):\(pad(minute, 2)):\(pad(second, 2))"
        if fraction != 0 { text += ".\(pad(fraction, 3))" }
        return text + "Z"
    }

    /// Parses `YYYY-MM-DDTHH:MM:SS[.fff]Z` (or `+00:00` for `Z`), the form ``iso8601`` writes.
    /// - Throws: ``BillingError/Code/invalidTimestamp`` for other forms, other offsets, or dates that do not exist.
    public init(iso8601 text: String) throws(BillingError) {
        let invalid = BillingError(
            code: .invalidTimestamp,
            message: "'\(text)' is not a UTC timestamp of the form 2025-01-31T00:00:00Z (optionally with .SSS milliseconds)"
        )
        var body = Substring(text)
        if body.hasSuffix("Z") {
            body = body.dropLast()
        } else if body.hasSuffix("+00:00") {
            body = body.dropLast(6)
        } else {
            throw invalid
        }
        let bytes = Array(body.utf8)
        guard bytes.count == 19 || bytes.count == 23,
            bytes[4] == UInt8(ascii: "-"), bytes[7] == UInt8(ascii: "-"), bytes[10] == UInt8(ascii: "T"),
            bytes[13] == UInt8(ascii: ":"), bytes[16] == UInt8(ascii: ":")
        else { throw invalid }
        func number(_ range: Range<Int>) throws(BillingError) -> Int {
            var value = 0
            for index in range {
                let byte = bytes[index]
                guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { throw invalid }
                value = value * 10 + Int(byte - UInt8(ascii: "0"))
            }
            return value
        }
        var millisecond = 0
        if bytes.count == 23 {
            guard bytes[19] == UInt8(ascii: ".") else { throw invalid }
            millisecond = try number(20..<23)
        }
        do {
            try self.init(
                year: try number(0..<4), month: try number(5..<7), day: try number(8..<10),
                hour: try number(11..<13), minute: try number(14..<16), second: try number(17..<19),
                millisecond: millisecond
            )
        } catch {
            throw invalid
        }
    }
}

private func pad(_ value: Int64, _ width: Int) -> String {
    let digits = String(value)
    return digits.count >= width ? digits : String(repeating: "0", count: width - digits.count) + digits
}
