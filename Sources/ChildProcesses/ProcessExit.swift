/// How a process ended, from a `waitpid` status.
public enum ProcessExit: Equatable, Sendable, CustomStringConvertible {
    /// Exited with a status code.
    case exited(Int32)
    /// Killed by a signal.
    case signaled(Int32)

    /// Decodes a `waitpid` status (the `WIFEXITED`/`WTERMSIG` macros, which Swift does not import).
    public init(waitStatus status: Int32) {
        if status & 0x7f == 0 {
            self = .exited((status >> 8) & 0xff)
        } else {
            self = .signaled(status & 0x7f)
        }
    }

    /// The status a shell would report: the exit code, or 128 + the signal number.
    public var shellStatus: Int32 {
        switch self {
        case .exited(let code): code
        case .signaled(let signal): 128 + signal
        }
    }

    public var description: String {
        switch self {
        case .exited(let code): "status=\(code)"
        case .signaled(let signal): "signal=\(signal)"
        }
    }
}
