import Foundation

/// Reads `BILLING_*` variables as fallbacks for flags.
enum Environment {
    static var values: [String: String] { ProcessInfo.processInfo.environment }

    /// The flag's value, else the variable's, else nil.
    static func pick(_ flag: String?, _ variable: String) -> String? {
        if let flag { return flag }
        return values[variable].flatMap { $0.isEmpty ? nil : $0 }
    }

    /// The flag's value or the variable's; throws naming both when neither is given.
    static func require(_ flag: String?, _ variable: String, flagName: String, example: String) throws -> String {
        guard let value = pick(flag, variable) else {
            throw CLIError("missing \(flagName): pass \(flagName) \(example) or set \(variable)")
        }
        return value
    }

    /// An integer from a flag or a variable.
    static func integer(_ flag: Int?, _ variable: String, default fallback: Int) throws -> Int {
        if let flag { return flag }
        guard let text = values[variable], !text.isEmpty else { return fallback }
        guard let value = Int(text) else { throw CLIError("\(variable)='\(text)' is not a whole number") }
        return value
    }
}
