/// A failure the CLI reports as one `error: ...` line on standard error, then exits non-zero.
///
/// The message says what was wrong and what to do about it.
struct CLIError: Error, CustomStringConvertible {
    /// What was wrong and what to do.
    var message: String
    /// The process's exit status. Default: 1.
    var exitCode: Int32

    /// Creates an error with `message` and exit status `exitCode`.
    init(_ message: String, exitCode: Int32 = 1) {
        self.message = message
        self.exitCode = exitCode
    }

    var description: String { message }
}
