/// A value bound to, or read from, a statement: the only types the billing schema uses.
enum SQLValue: Hashable, Sendable {
    case integer(Int64)
    case text(String)
    case null
    /// An array (PostgreSQL only: the batch statements of ``BatchStatements``).
    case integers([Int64])
    /// An array (PostgreSQL only: the batch statements of ``BatchStatements``).
    case texts([String])

    /// `.integer` for a value, `.null` for nil.
    static func integer(_ value: Int64?) -> SQLValue { value.map(SQLValue.integer) ?? .null }
    /// `.text` for a value, `.null` for nil.
    static func text(_ value: String?) -> SQLValue { value.map(SQLValue.text) ?? .null }
    /// The instant as milliseconds since the epoch.
    static func timestamp(_ value: Timestamp?) -> SQLValue { .integer(value?.millisecondsSinceEpoch) }
}
