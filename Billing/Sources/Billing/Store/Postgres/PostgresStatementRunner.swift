import Logging
import PostgresNIO

/// Runs statements on a PostgreSQL connection inside one transaction of ``PostgresDatabase``.
struct PostgresStatementRunner: SQLConnection {
    let connection: PostgresConnection
    let logger: Logger

    func query(_ sql: String, _ binds: [SQLValue]) async throws -> [SQLRow] {
        try await Self.collect(connection.query(PostgresQuery(unsafeSQL: sql, binds: Self.bindings(binds)), logger: logger))
    }

    func query(prepared statement: any SQLPreparedText.Type, _ binds: [SQLValue]) async throws -> [SQLRow] {
        try await execute(statement, binds)
    }

    private func execute<Text: SQLPreparedText>(_ text: Text.Type, _ binds: [SQLValue]) async throws -> [SQLRow] {
        try await Self.collect(connection.execute(PreparedStatement<Text>(bindings: Self.bindings(binds)), logger: logger))
    }

    /// Every row of a result, decoded.
    private static func collect(_ rows: some AsyncSequence<PostgresRow, any Error>) async throws -> [SQLRow] {
        var result: [SQLRow] = []
        for try await row in rows {
            result.append(try Self.row(row))
        }
        return result
    }

    /// postgres-nio's prepared statement for a ``SQLPreparedText``: its name and text; parameter
    /// types taken from the first run's binds (PostgreSQL infers those of NULLs from the statement).
    private struct PreparedStatement<Text: SQLPreparedText>: PostgresPreparedStatement {
        typealias Row = PostgresRow
        static var name: String { Text.name }
        static var sql: String { Text.sql }
        let bindings: PostgresBindings
        func makeBindings() -> PostgresBindings { bindings }
        func decodeRow(_ row: PostgresRow) -> PostgresRow { row }
    }

    private static func bindings(_ binds: [SQLValue]) -> PostgresBindings {
        var bindings = PostgresBindings(capacity: binds.count)
        for bind in binds {
            switch bind {
            case .integer(let value): bindings.append(value)
            case .text(let value): bindings.append(value)
            case .null: bindings.appendNull()
            case .integers(let values): bindings.append(values)
            case .texts(let values): bindings.append(values)
            }
        }
        return bindings
    }

    private static func row(_ row: PostgresRow) throws -> SQLRow {
        var values = [String: SQLValue](minimumCapacity: row.count)
        for cell in row {
            values[cell.columnName] = try value(cell)
        }
        return SQLRow(values: values)
    }

    private static func value(_ cell: PostgresCell) throws -> SQLValue {
        guard cell.bytes != nil else { return .null }
        switch cell.dataType {
        case .int2, .int4, .int8:
            return .integer(try cell.decode(Int64.self))
        case .bool:
            return .integer(try cell.decode(Bool.self) ? 1 : 0)
        default:
            // Text and the types the schema does not use (void from pg_advisory_xact_lock, ...).
            return (try? cell.decode(String.self)).map(SQLValue.text) ?? .null
        }
    }
}
