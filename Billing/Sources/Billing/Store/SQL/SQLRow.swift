/// One result row, by column name.
struct SQLRow: Sendable {
    var values: [String: SQLValue]

    private func mismatch(_ name: String, _ expected: String) -> BillingError {
        .invalidStoreData(
            "column '\(name)' of the billing store holds \(values[name].map { "\($0)" } ?? "nothing") where \(expected) was expected; the database was modified by something other than this library"
        )
    }

    /// The integer in column `name`.
    func integer(_ name: String) throws(BillingError) -> Int64 {
        guard case .integer(let value)? = values[name] else { throw mismatch(name, "an integer") }
        return value
    }

    /// The integer in column `name`, or nil for NULL.
    func optionalInteger(_ name: String) throws(BillingError) -> Int64? {
        switch values[name] {
        case .integer(let value)?: value
        case .null?: nil
        default: throw mismatch(name, "an integer or NULL")
        }
    }

    /// The text in column `name`.
    func text(_ name: String) throws(BillingError) -> String {
        guard case .text(let value)? = values[name] else { throw mismatch(name, "text") }
        return value
    }

    /// The text in column `name`, or nil for NULL.
    func optionalText(_ name: String) throws(BillingError) -> String? {
        switch values[name] {
        case .text(let value)?: value
        case .null?: nil
        default: throw mismatch(name, "text or NULL")
        }
    }

    /// The instant (milliseconds since the epoch) in column `name`.
    func timestamp(_ name: String) throws(BillingError) -> Timestamp {
        Timestamp(millisecondsSinceEpoch: try integer(name))
    }

    /// The instant in column `name`, or nil for NULL.
    func optionalTimestamp(_ name: String) throws(BillingError) -> Timestamp? {
        try optionalInteger(name).map(Timestamp.init(millisecondsSinceEpoch:))
    }
}
