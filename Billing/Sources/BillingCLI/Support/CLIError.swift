/// A failure of the command line itself, printed as one `error:` line.
struct CLIError: Error, CustomStringConvertible {
    /// What was wrong and what to do.
    var message: String

    init(_ message: String) { self.message = message }

    var description: String { message }
}
