import ArgumentParser
import LeaderElection

/// `leader run NAME -- COMMAND ARGS...`: run a command only while leading.
struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run a command only while leader; stop it the moment leadership is lost, and campaign again.",
        discussion: """
            The command gets LEADER_TOKEN (the fencing token), LEADER_ELECTION, LEADER_KEY, \
            LEADER_CANDIDATE_ID and LEADER_VALUE in its environment. It runs in a process group of \
            its own under a watchdog process that stops it (SIGTERM, then SIGKILL after --grace) \
            when leadership ends, even if this process is paused or killed: once the leadership's \
            local deadline passes, SIGKILL follows within half the safety margin, before the store \
            can elect anyone else. When the command exits on its own, leader resigns and exits with \
            its status (128+N for signal N). SIGINT/SIGTERM stop the command, resign and exit 0. \
            Events as for 'campaign', plus 'started ... pid=P', 'stopped ... cause=C' and \
            'exited ... status=N'.
            """
    )

    @Argument(help: "The election's name, shared by its candidates.")
    var name: String

    @OptionGroup var store: StoreOptions
    @OptionGroup var candidate: CandidateOptions

    @Option(help: ArgumentHelp("Seconds the command may take to exit after SIGTERM before SIGKILL.", valueName: "seconds"))
    var grace: Double = 5

    @Argument(parsing: .postTerminator, help: ArgumentHelp("The command to run while leader, after '--'.", valueName: "command"))
    var command: [String] = []

    func validate() throws {
        guard !name.isEmpty else { throw ValidationError("the election NAME is empty; pass a name such as 'jobs'") }
        guard !command.isEmpty else {
            throw ValidationError(
                "no command given: put it after '--', for example: leader run jobs --store sqlite:/tmp/leader.db -- ./job.sh")
        }
        guard grace.isFinite, grace >= 0 else { throw ValidationError("--grace \(grace) is not a number of seconds (0 or more)") }
    }

    func run() async throws {
        guard ExecutablePath.resolve(command[0]) != nil else {
            throw CLIError(
                "cannot find the command '\(command[0])' (not an executable file, nor found on PATH); check its name or give its path",
                exitCode: 127)
        }
        let logger = store.makeLogger()
        let configuration = try candidate.configuration()
        let status = try await store.withBackend(logger: logger) { backend in
            let election = Election(
                name: name,
                candidateID: candidate.resolvedCandidateID(),
                backend: backend,
                configuration: configuration,
                logger: logger
            )
            let service = RunService(
                loop: LeadershipLoop(election: election, logger: logger),
                command: command,
                grace: .nanoseconds(Int64((grace * 1e9).rounded()))
            )
            try await ServiceRunner.run(service, logger: logger)
            return service.exitStatus ?? 0
        }
        if status != 0 { throw ExitCode(status) }
    }
}
