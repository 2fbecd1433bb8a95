import Foundation

/// A secret credential (an API key, a client secret) that never appears in logs or descriptions.
///
/// Secrets come from the environment or from a file named by the environment, never from
/// command-line flags (which other users of the machine can read in the process list).
/// `description`, `debugDescription` and reflection (`dump`, string interpolation) all print
/// `<redacted>`. Not guaranteed: the secret is an ordinary `String` in memory; it is not wiped.
public struct APISecret: Sendable, Hashable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    /// The secret itself; read only where it goes on the wire.
    let value: String

    /// Wraps a secret. Leading and trailing whitespace (a file's final newline) is removed.
    public init(_ value: String) {
        self.value = value.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Reads the secret from the environment variable `name`, or from the file that `name_FILE` names.
    ///
    /// Exactly one of the two must be set. Throws ``PaymentError`` with
    /// ``PaymentError/Code/missingCredentials`` when neither is set, both are, the file cannot be
    /// read, or the value is empty; the message names the variables, never the value.
    public static func fromEnvironment(
        _ name: String,
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws -> APISecret {
        let fileVariable = name + "_FILE"
        let direct = environment[name].flatMap { $0.isEmpty ? nil : $0 }
        let path = environment[fileVariable].flatMap { $0.isEmpty ? nil : $0 }
        let secret: APISecret
        switch (direct, path) {
        case (nil, nil):
            throw PaymentError(
                code: .missingCredentials,
                message: "\(name) is not set: export \(name), or \(fileVariable) with the path of a file that holds it"
            )
        case (.some, .some):
            throw PaymentError(
                code: .missingCredentials,
                message: "both \(name) and \(fileVariable) are set: set only one of them"
            )
        case (let value?, nil):
            secret = APISecret(value)
        case (nil, let path?):
            let contents: String
            do {
                contents = try String(contentsOfFile: path, encoding: .utf8)
            } catch {
                throw PaymentError(
                    code: .missingCredentials,
                    message: "cannot read \(fileVariable) (\(path)): check that the file exists and is readable",
                    cause: error
                )
            }
            secret = APISecret(contents)
        }
        if secret.value.isEmpty {
            throw PaymentError(code: .missingCredentials, message: "\(name) is empty: give it the secret's value")
        }
        return secret
    }

    /// Always `<redacted>`.
    public var description: String { "<redacted>" }
    /// Always `APISecret(<redacted>)`.
    public var debugDescription: String { "APISecret(<redacted>)" }
    /// A mirror without children, so `dump` shows no secret.
    public var customMirror: Mirror { Mirror(self, children: [], displayStyle: .struct) }
}
