import LeaderElection
import SQLiteNIO

extension SQLiteRow {
    /// The integer in column `name`.
    /// - Throws: `ElectionError.Code.invalidStoreData` when the column is missing or not an integer.
    func integer(_ name: String) throws(ElectionError) -> Int64 {
        guard case .integer(let value)? = column(name) else {
            throw ElectionError(
                code: .invalidStoreData,
                message:
                    "column '\(name)' of the election store holds \(column(name).map { "\($0)" } ?? "nothing") where an integer was expected; the file was modified by something other than this library"
            )
        }
        return Int64(value)
    }

    /// The text in column `name`.
    /// - Throws: `ElectionError.Code.invalidStoreData` when the column is missing or not text.
    func text(_ name: String) throws(ElectionError) -> String {
        guard case .text(let value)? = column(name) else {
            throw ElectionError(
                code: .invalidStoreData,
                message:
                    "column '\(name)' of the election store holds \(column(name).map { "\($0)" } ?? "nothing") where text was expected; the file was modified by something other than this library"
            )
        }
        return value
    }
}
