import Foundation
import Synchronization

/// Reads `BILLING_*` variables as fallbacks for flags, and a config file as the fallback for those.
///
/// The config file (`--config PATH` or `BILLING_CONFIG`) holds `NAME=VALUE` lines with the
/// environment variables' names (`BILLING_DATABASE=postgres://...`); `#` starts a comment. Only
/// `BILLING_*` names and `*_FILE` names (a file that holds a secret) are accepted, so that a
/// secret itself never sits in a config file. Precedence: flag, then environment, then file.
enum Environment {
    private static let fileValues = Mutex<[String: String]>([:])

    /// The environment over the config file's values.
    static var values: [String: String] {
        fileValues.withLock { $0 }.merging(ProcessInfo.processInfo.environment) { _, environment in environment }
    }

    /// Reads the config file at `path`; later lookups see its values beneath the environment's.
    /// - Throws: ``CLIError`` naming the file and line when the file cannot be read or a line is wrong.
    static func loadConfigFile(_ path: String) throws {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw CLIError(
                "cannot read the config file '\(path)' (\(error.localizedDescription)); check the path given by --config or BILLING_CONFIG")
        }
        var parsed: [String: String] = [:]
        for (index, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = rawLine.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") { continue }
            guard let equals = line.firstIndex(of: "=") else {
                throw CLIError(
                    "config file '\(path)' line \(index + 1): expected NAME=VALUE, for example BILLING_DATABASE=sqlite:/var/lib/billing/billing.sqlite"
                )
            }
            let name = line[..<equals].trimmingCharacters(in: .whitespaces)
            let value = line[line.index(after: equals)...].trimmingCharacters(in: .whitespaces)
            guard name.hasPrefix("BILLING_") || name.hasSuffix("_FILE") else {
                throw CLIError(
                    "config file '\(path)' line \(index + 1): '\(name)' is not a BILLING_* setting or a *_FILE path; secrets go in the environment or in a file a *_FILE setting names"
                )
            }
            parsed[name] = value
        }
        fileValues.withLock { $0 = parsed }
    }

    /// The flag's value, else the variable's, else nil.
    /// A secret from `variable`, or from the file `variable_FILE` names (never both); nil when
    /// neither is set. Messages name the variables, never the value.
    static func secret(_ variable: String) throws -> String? {
        let direct = values[variable].flatMap { $0.isEmpty ? nil : $0 }
        let path = values[variable + "_FILE"].flatMap { $0.isEmpty ? nil : $0 }
        switch (direct, path) {
        case (nil, nil): return nil
        case (.some, .some): throw CLIError("both \(variable) and \(variable)_FILE are set: set only one of them")
        case (let value?, nil): return value
        case (nil, let path?):
            guard let contents = try? String(contentsOfFile: path, encoding: .utf8) else {
                throw CLIError("cannot read \(variable)_FILE (\(path)): check that the file exists and is readable")
            }
            return contents.trimmingCharacters(in: .whitespacesAndNewlines)
        }
    }

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

    /// A repeatable flag's values, or else the variable's comma-separated list (entries trimmed, empty ones dropped).
    static func list(_ flags: [String], _ variable: String) -> [String] {
        flags.isEmpty ? split(values[variable]) : flags
    }

    /// A comma-separated list: entries trimmed, empty ones dropped.
    static func split(_ text: String?) -> [String] {
        (text ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }

    /// An integer from a flag or a variable.
    static func integer(_ flag: Int?, _ variable: String, default fallback: Int) throws -> Int {
        if let flag { return flag }
        guard let text = values[variable], !text.isEmpty else { return fallback }
        guard let value = Int(text) else { throw CLIError("\(variable)='\(text)' is not a whole number") }
        return value
    }
}
