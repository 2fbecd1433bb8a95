import ChildProcesses

/// The line protocol between `leader run` and its `leader supervise` watchdog.
///
/// `leader run` writes ``Command`` lines to the supervisor's heartbeat descriptor; the supervisor
/// writes ``Report`` lines to its report descriptor. Times are `CLOCK_BOOTTIME` nanoseconds
/// (``MonotonicTime``), the same in both processes.
enum SupervisorProtocol {
    /// What `leader run` tells the supervisor.
    enum Command: Equatable, Sendable {
        /// `deadline NS`: the leadership's local deadline is now `NS`; stop the command when it passes.
        case deadline(Int64)
        /// `stop`: leadership is being given up in an orderly way; stop the command with its full grace.
        case stop
        /// `lost`: leadership is gone; stop the command at once (grace capped).
        case lost

        /// The line, with its newline.
        var line: String {
            switch self {
            case .deadline(let nanoseconds): "deadline \(nanoseconds)\n"
            case .stop: "stop\n"
            case .lost: "lost\n"
            }
        }

        /// Parses a line without its newline; nil for anything else.
        init?(line: Substring) {
            let words = line.split(separator: " ")
            switch (words.first, words.count) {
            case ("deadline", 2):
                guard let nanoseconds = Int64(words[1]) else { return nil }
                self = .deadline(nanoseconds)
            case ("stop", 1): self = .stop
            case ("lost", 1): self = .lost
            default: return nil
            }
        }
    }

    /// Why the supervisor stopped (or did not start) the command.
    enum Cause: String, Sendable {
        /// The command ended on its own.
        case exited
        /// The local deadline passed without a newer heartbeat (`leader run` paused or stuck).
        case deadline
        /// `leader run` asked for an orderly stop.
        case stop
        /// `leader run` reported leadership lost.
        case lost
        /// The heartbeat descriptor reached end of file: `leader run` is gone.
        case parentGone = "parent-gone"
        /// The supervisor itself received `SIGTERM`, `SIGINT` or `SIGHUP`.
        case signal
    }

    /// What the supervisor tells `leader run`.
    enum Report: Equatable, Sendable {
        /// `started pid=N`: the command runs as process (and process group) `N`.
        case started(pid: Int32)
        /// `ended cause=C [status=N|signal=N]`: the command is over (or was never started), and
        /// every process of its group is gone.
        case ended(cause: Cause, exit: ProcessExit?)
        /// `failed errno=N`: the command could not be started.
        case failed(errno: Int32)

        /// The line, with its newline.
        var line: String {
            switch self {
            case .started(let pid): "started pid=\(pid)\n"
            case .ended(let cause, let exit?): "ended cause=\(cause.rawValue) \(exit)\n"
            case .ended(let cause, nil): "ended cause=\(cause.rawValue)\n"
            case .failed(let code): "failed errno=\(code)\n"
            }
        }

        /// Parses a line without its newline; nil for anything else.
        init?(line: Substring) {
            let words = line.split(separator: " ")
            guard let kind = words.first else { return nil }
            var fields: [Substring: Substring] = [:]
            for word in words.dropFirst() {
                guard let equals = word.firstIndex(of: "=") else { return nil }
                fields[word[..<equals]] = word[word.index(after: equals)...]
            }
            switch kind {
            case "started":
                guard let pid = fields["pid"].flatMap({ Int32($0) }) else { return nil }
                self = .started(pid: pid)
            case "ended":
                guard let cause = fields["cause"].flatMap({ Cause(rawValue: String($0)) }) else { return nil }
                if let status = fields["status"].flatMap({ Int32($0) }) {
                    self = .ended(cause: cause, exit: .exited(status))
                } else if let signal = fields["signal"].flatMap({ Int32($0) }) {
                    self = .ended(cause: cause, exit: .signaled(signal))
                } else {
                    self = .ended(cause: cause, exit: nil)
                }
            case "failed":
                guard let code = fields["errno"].flatMap({ Int32($0) }) else { return nil }
                self = .failed(errno: code)
            default:
                return nil
            }
        }
    }

    /// Splits complete lines off the front of `buffer`, leaving a partial last line in it.
    static func takeLines(from buffer: inout [UInt8]) -> [Substring] {
        guard let lastNewline = buffer.lastIndex(of: UInt8(ascii: "\n")) else { return [] }
        let text = String(decoding: buffer[...lastNewline], as: UTF8.self)
        buffer.removeSubrange(...lastNewline)
        return text.split(separator: "\n")
    }
}
