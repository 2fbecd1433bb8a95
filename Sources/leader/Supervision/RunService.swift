import ChildProcesses
import LeaderElection
import Logging
import ServiceLifecycle
import Synchronization

/// `leader run` as a `Service`: campaigns, and while leading runs the command under a
/// ``SupervisedCommand`` watchdog; campaigns again after a loss.
///
/// Events (besides ``LeadershipLoop``'s): `started name= id= token= pid=` when the command runs,
/// `stopped name= id= token= cause= [status=|signal=]` when the supervisor stopped it (cause
/// `deadline`, `lost`, `stop`, `parent-gone` or `signal`), and `exited name= id= token=
/// status=|signal=` when it ended on its own; then leadership is resigned and ``exitStatus`` set.
struct RunService: Service {
    /// The campaign loop and its events.
    let loop: LeadershipLoop
    /// The command and its arguments.
    let command: [String]
    /// How long the command may take to exit after `SIGTERM` in an orderly stop.
    let grace: Duration
    private let status = StatusBox()

    /// Creates the service.
    init(loop: LeadershipLoop, command: [String], grace: Duration) {
        self.loop = loop
        self.command = command
        self.grace = grace
    }

    /// The command's exit status in shell terms, once it ended on its own; nil otherwise.
    var exitStatus: Int32? { status.value }

    func run() async throws {
        let service = self
        let result = try await cancelWhenGracefulShutdown {
            try await service.loop.run { leadership in try await service.lead(leadership) }
        }
        if let result { status.set(result) }
    }

    /// Runs the command for one leadership. Returns its exit status when it ended on its own.
    private func lead(_ leadership: Leadership) async throws -> Int32 {
        let events = loop.events
        let timeline = loop.timeline
        let name = leadership.election
        let id = leadership.candidateID
        let token = "\(leadership.token)"
        let lostGrace = loop.election.configuration.safetyMargin / 2
        let supervised = try SupervisedCommand.start(
            command: command,
            environment: [
                "LEADER_TOKEN": token, "LEADER_ELECTION": name, "LEADER_KEY": leadership.key,
                "LEADER_CANDIDATE_ID": id, "LEADER_VALUE": leadership.value,
            ],
            grace: grace,
            lostGrace: lostGrace,
            deadline: timeline.nanoseconds(leadership.deadline),
            onStarted: { pid in events.emit("started", ["name": name, "id": id, "token": token, "pid": "\(pid)"]) }
        )
        let outcome = await withTaskGroup(of: Void.self) { group in
            group.addTask {
                // Heartbeats: the supervisor learns each move of the deadline within 50 ms.
                while !Task.isCancelled {
                    supervised.send(deadline: timeline.nanoseconds(leadership.deadline))
                    try? await Task.sleep(for: .milliseconds(50))
                }
            }
            let outcome = await withTaskCancellationHandler {
                await supervised.outcome()
            } onCancel: {
                supervised.requestStop(leadershipLost: !leadership.isValid)
                // Renewals stop with the term, so the deadline is final: the supervisor kills by
                // deadline + lostGrace; should it be stopped itself, this process does, a little later.
                supervised.killCommand(at: timeline.nanoseconds(leadership.deadline) + lostGrace.nanoseconds + 20_000_000)
            }
            group.cancelAll()
            return outcome
        }
        switch outcome {
        case .ended(.exited, let exit?):
            events.emit("exited", ["name": name, "id": id, "token": token, Self.exitKey(exit): Self.exitValue(exit)])
            return exit.shellStatus
        case .ended(let cause, let exit):
            if let exit {
                events.emit(
                    "stopped", ["name": name, "id": id, "token": token, "cause": cause.rawValue, Self.exitKey(exit): Self.exitValue(exit)])
            } else {
                events.emit("stopped", ["name": name, "id": id, "token": token, "cause": cause.rawValue])
            }
            // The election knows why if leadership ended or shutdown began; otherwise the
            // supervisor saw a deadline this process has not yet (it was stalled): give it up.
            try Task.checkCancellation()
            try leadership.checkValid()
            throw ElectionError.leadershipLost(.deadlinePassed)
        case .failed(let code):
            throw SpawnError(executable: command[0], code: code).cliError
        case .supervisorVanished(let exit):
            throw CLIError(
                "the supervisor process \(supervised.supervisorPID) of the command ended without a report (\(exit)): it was killed from outside, or stopped and so killed by leader when it missed the moment to stop the command. The command's process group was killed and leadership resigned; find out what signalled the supervisor"
            )
        }
    }

    private static func exitKey(_ exit: ProcessExit) -> String {
        if case .signaled = exit { return "signal" }
        return "status"
    }

    private static func exitValue(_ exit: ProcessExit) -> String {
        switch exit {
        case .exited(let code): "\(code)"
        case .signaled(let signal): "\(signal)"
        }
    }
}

/// The command's exit status, set once by the service and read after the service group ends.
private final class StatusBox: Sendable {
    private let stored = Mutex<Int32?>(nil)
    var value: Int32? { stored.withLock { $0 } }
    func set(_ status: Int32) { stored.withLock { $0 = status } }
}
