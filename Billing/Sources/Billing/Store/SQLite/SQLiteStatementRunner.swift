import SQLiteNIO
import Synchronization

/// Runs statements on an SQLite connection inside one transaction of ``SQLiteDatabase``.
///
/// Translates the shared statements' `$N` placeholders into SQLite's numbered `?N` (SQLite reads
/// `$N` as a *named* parameter, numbered by first appearance, which breaks reuse out of order).
struct SQLiteStatementRunner: SQLConnection {
    let connection: SQLiteConnection

    func query(_ sql: String, _ binds: [SQLValue]) async throws -> [SQLRow] {
        let collected = Mutex<[SQLRow]>([])
        try await connection.query(Self.numberedPlaceholders(sql), try binds.map(Self.data)) { row in
            var values: [String: SQLValue] = [:]
            for column in row.columns {
                values[column.name] = Self.value(column.data)
            }
            collected.withLock { $0.append(SQLRow(values: values)) }
        }
        return collected.withLock { $0 }
    }

    /// `$12` becomes `?12`; everything else, quoted text included, is kept (the shared statements
    /// have no `$` inside string literals).
    static func numberedPlaceholders(_ sql: String) -> String {
        var result = ""
        result.reserveCapacity(sql.utf8.count)
        var previous: Character?
        for character in sql {
            if previous == "$", !character.isNumber {
                result.append("$")
            }
            if character == "$" {
                previous = character
                continue
            }
            if previous == "$" { result.append("?") }
            result.append(character)
            previous = character
        }
        if previous == "$" { result.append("$") }
        return result
    }

    private static func data(_ value: SQLValue) throws(BillingError) -> SQLiteData {
        switch value {
        case .integer(let value): .integer(Int(value))
        case .text(let value): .text(value)
        case .null: .null
        case .integers, .texts:
            throw BillingError.invalidStoreData("SQLite has no array parameters; only the PostgreSQL batch statements bind arrays")
        }
    }

    private static func value(_ data: SQLiteData) -> SQLValue {
        switch data {
        case .integer(let value): .integer(Int64(value))
        case .text(let value): .text(value)
        case .null: .null
        case .float(let value): .text(String(describing: value))
        case .blob(let buffer): .text("<\(buffer.readableBytes)-byte blob>")
        }
    }
}
