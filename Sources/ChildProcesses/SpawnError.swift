import Glibc

/// A process could not be started.
public struct SpawnError: Error, CustomStringConvertible {
    /// The program.
    public var executable: String
    /// The `errno` value.
    public var code: Int32

    public init(executable: String, code: Int32) {
        self.executable = executable
        self.code = code
    }

    /// The system's reason (`strerror`).
    public var reason: String { String(cString: strerror(code)) }

    public var description: String { "cannot start \(executable): \(reason)" }
}
