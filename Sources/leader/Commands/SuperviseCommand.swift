import ArgumentParser

/// `leader supervise` (hidden): the watchdog `leader run` starts for each leadership. Not for
/// direct use; see ``Supervisor``.
struct SuperviseCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "supervise",
        abstract: "Internal: the watchdog process of 'leader run'.",
        shouldDisplay: false
    )

    @Option(name: .customLong("heartbeat-fd")) var heartbeatDescriptor: Int32
    @Option(name: .customLong("report-fd")) var reportDescriptor: Int32
    @Option(name: .customLong("grace-ns")) var grace: Int64
    @Option(name: .customLong("lost-grace-ns")) var lostGrace: Int64
    @Argument(parsing: .postTerminator) var command: [String] = []

    func validate() throws {
        guard !command.isEmpty else {
            throw ValidationError("no command given after '--'; 'leader supervise' is started by 'leader run', not by hand")
        }
    }

    func run() throws {
        Supervisor(
            command: command,
            heartbeatDescriptor: heartbeatDescriptor,
            reportDescriptor: reportDescriptor,
            grace: grace,
            lostGrace: lostGrace
        ).run()
    }
}
