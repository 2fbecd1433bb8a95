import ArgumentParser
import Glibc
import LeaderElection

/// The `leader` command: leader election from the shell, on any store URL.
@main
struct Leader: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "leader",
        abstract: "Leader election from the shell: campaign, observe, run a command only while leading, show status.",
        discussion: """
            Candidates of one election share a store (--store URL or $LEADER_STORE; sqlite:PATH for \
            the processes of one host). Event lines on standard output, one per event, end with \
            mono_ns, the CLOCK_BOOTTIME time in nanoseconds, comparable between processes of a host. \
            Diagnostics go to standard error.
            """,
        subcommands: [CampaignCommand.self, ObserveCommand.self, RunCommand.self, StatusCommand.self, SuperviseCommand.self]
    )

    /// Parses the command line and runs the subcommand; every failure becomes one `error:` line.
    static func main() async {
        // A write to a pipe nobody reads any more must fail, not kill the process.
        signal(SIGPIPE, SIG_IGN)
        do {
            var command = try parseAsRoot()
            if var command = command as? any AsyncParsableCommand {
                try await command.run()
            } else {
                try command.run()
            }
        } catch {
            exit(reporting: error)
        }
    }

    /// Prints `error` as one line on standard error and exits with a non-zero status
    /// (help and version requests print to standard output and exit 0).
    static func exit(reporting error: any Error) -> Never {
        switch error {
        case let error as CLIError:
            fail(error.message, status: error.exitCode)
        case let error as ElectionError:
            fail(error.message, status: 1)
        case let error as ExitCode:
            Glibc.exit(error.rawValue)
        default:
            let code = exitCode(for: error)
            if code == .success { exit(withError: error) }
            var text = message(for: error).split(separator: "\n").first.map(String.init) ?? "\(error)"
            if let first = text.first, first.isUppercase, text.dropFirst().first?.isLowercase == true {
                text = first.lowercased() + text.dropFirst()
            }
            if let hint = helpHint(in: fullMessage(for: error)) { text += "; see '\(hint)'" }
            fail(text, status: code.rawValue)
        }
    }

    private static func fail(_ message: String, status: Int32) -> Never {
        FileDescriptor.write(STDERR_FILENO, "error: \(message)\n")
        Glibc.exit(status == 0 ? 1 : status)
    }

    /// The `leader SUBCOMMAND --help` command that ArgumentParser's full message points to.
    private static func helpHint(in fullMessage: String) -> String? {
        guard let start = fullMessage.range(of: "See '") else { return nil }
        let rest = fullMessage[start.upperBound...]
        guard let end = rest.firstIndex(of: "'") else { return nil }
        return String(rest[..<end])
    }
}
