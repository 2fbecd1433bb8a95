import ChildProcesses
import Dispatch
import Glibc
import Synchronization

/// `leader run`'s handle on one run of the command under a `leader supervise` watchdog
/// (see ``Supervisor``): starts the supervisor, sends it the leadership's deadline, asks it to
/// stop the command, and waits for how the command ended.
///
/// The supervisor's reports are read on a dispatch queue of their own with blocking reads, so
/// that waiting for the outcome needs no polling and survives task cancellation (after asking the
/// supervisor to stop, `leader run` must still wait until the command is gone before resigning).
final class SupervisedCommand: Sendable {
    /// How the supervised run ended.
    enum Outcome: Sendable, Equatable {
        /// The supervisor reported the end (or that it never started the command).
        case ended(cause: SupervisorProtocol.Cause, exit: ProcessExit?)
        /// The command could not be started; the value is `errno`.
        case failed(errno: Int32)
        /// The supervisor ended without a final report (it was killed). The command's process
        /// group, if it had started, has been sent `SIGKILL`.
        case supervisorVanished(ProcessExit)
    }

    private struct State {
        var childPID: pid_t?
        var outcome: Outcome?
        var waiters: [CheckedContinuation<Outcome, Never>] = []
        var heartbeatDescriptor: Int32
        var lastDeadline: Int64
    }

    /// The supervisor process.
    private let supervisor: ChildProcess
    private let state: Mutex<State>

    /// The supervisor's process ID.
    var supervisorPID: pid_t { supervisor.pid }

    private init(supervisor: ChildProcess, heartbeatDescriptor: Int32, deadline: Int64) {
        self.supervisor = supervisor
        self.state = Mutex(State(heartbeatDescriptor: heartbeatDescriptor, lastDeadline: deadline))
    }

    /// Starts `leader supervise` for `command`, which it runs while `deadline` (boot-time
    /// nanoseconds, see ``MonotonicTime``) and later heartbeats allow.
    /// - Parameters:
    ///   - environment: Variables added to the command's environment.
    ///   - grace: How long the command may take to exit after `SIGTERM` in an orderly stop.
    ///   - lostGrace: The grace once leadership is lost (half the safety margin).
    ///   - onStarted: Called with the command's process ID once it runs (on another thread).
    static func start(
        command: [String],
        environment: [String: String],
        grace: Duration,
        lostGrace: Duration,
        deadline: Int64,
        onStarted: @escaping @Sendable (pid_t) -> Void
    ) throws -> SupervisedCommand {
        let executable = try ExecutablePath.current()
        let heartbeats = try FileDescriptor.makePipe()
        let reports: (read: Int32, write: Int32)
        do {
            reports = try FileDescriptor.makePipe()
        } catch {
            close(heartbeats.read)
            close(heartbeats.write)
            throw error
        }
        // The first deadline waits in the pipe for the supervisor.
        FileDescriptor.write(heartbeats.write, SupervisorProtocol.Command.deadline(deadline).line)
        let arguments =
            [
                "supervise", "--heartbeat-fd", "3", "--report-fd", "4",
                "--grace-ns", "\(grace.nanoseconds)", "--lost-grace-ns", "\(lostGrace.nanoseconds)", "--",
            ] + command
        let options = ChildProcess.Options(
            environment: .inheritOverriding(environment),
            processGroup: .newSession,
            searchesPath: true,
            descriptors: [(heartbeats.read, 3), (reports.write, 4)]
        )
        let supervisor: ChildProcess
        do {
            supervisor = try ChildProcess.spawn(executable, arguments, options: options)
        } catch {
            for descriptor in [heartbeats.read, heartbeats.write, reports.read, reports.write] { close(descriptor) }
            throw error.cliError
        }
        let pid = supervisor.pid
        close(heartbeats.read)
        close(reports.write)
        // A stopped or stuck supervisor must never block `leader run`.
        FileDescriptor.setNonBlocking(heartbeats.write)
        let supervised = SupervisedCommand(supervisor: supervisor, heartbeatDescriptor: heartbeats.write, deadline: deadline)
        DispatchQueue(label: "leader.supervisor-reports.\(pid)").async {
            supervised.readReports(from: reports.read, onStarted: onStarted)
        }
        return supervised
    }

    /// Sends the leadership's deadline if it moved since the last one sent.
    func send(deadline: Int64) {
        state.withLock { state in
            guard deadline > state.lastDeadline, state.heartbeatDescriptor >= 0 else { return }
            if FileDescriptor.write(state.heartbeatDescriptor, SupervisorProtocol.Command.deadline(deadline).line) {
                state.lastDeadline = deadline
            }
        }
    }

    /// Asks the supervisor to stop the command: orderly (full grace) or, when leadership is
    /// already lost, at once (grace capped). Safe to call from any thread, more than once.
    func requestStop(leadershipLost: Bool) {
        state.withLock { state in
            guard state.heartbeatDescriptor >= 0 else { return }
            FileDescriptor.write(state.heartbeatDescriptor, (leadershipLost ? SupervisorProtocol.Command.lost : .stop).line)
        }
    }

    /// A backstop for a supervisor that cannot act (someone stopped it): sends `SIGKILL` to the
    /// command's process group at `instant` (boot-time nanoseconds) unless the supervisor has
    /// reported the end by then (its own `SIGKILL` comes no later), and to the supervisor itself
    /// a second later if it still has not, so that waiting for the outcome ends.
    func killCommand(at instant: Int64) {
        let delay = max(0, instant - MonotonicTime.nanoseconds())
        let queue = DispatchQueue.global()
        queue.asyncAfter(deadline: .now() + .nanoseconds(Int(delay))) {
            self.state.withLock { state in
                guard state.outcome == nil, let child = state.childPID else { return }
                kill(-child, SIGKILL)
            }
        }
        queue.asyncAfter(deadline: .now() + .nanoseconds(Int(delay)) + .seconds(1)) {
            self.state.withLock { state in
                guard state.outcome == nil else { return }
                self.supervisor.signal(SIGKILL)
            }
        }
    }

    /// Waits until the supervisor has exited (and so the command with it). Ignores cancellation:
    /// call ``requestStop(leadershipLost:)`` to make it end.
    func outcome() async -> Outcome {
        await withCheckedContinuation { continuation in
            let ready = state.withLock { state -> Outcome? in
                if let outcome = state.outcome { return outcome }
                state.waiters.append(continuation)
                return nil
            }
            if let ready { continuation.resume(returning: ready) }
        }
    }

    /// Reads reports until the supervisor exits, reaps it, and publishes the outcome.
    private func readReports(from descriptor: Int32, onStarted: @Sendable (pid_t) -> Void) {
        var buffer: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1024)
        var final: Outcome?
        while true {
            let count = read(descriptor, &chunk, chunk.count)
            if count < 0, errno == EINTR { continue }
            if count <= 0 { break }
            buffer += chunk[..<count]
            for line in SupervisorProtocol.takeLines(from: &buffer) {
                switch SupervisorProtocol.Report(line: line) {
                case .started(let pid):
                    state.withLock { $0.childPID = pid }
                    onStarted(pid)
                case .ended(let cause, let exit):
                    final = .ended(cause: cause, exit: exit)
                case .failed(let code):
                    final = .failed(errno: code)
                case nil:
                    break
                }
            }
        }
        close(descriptor)
        let exit = (try? supervisor.waitUntilExit()) ?? .exited(0)
        if final == nil {
            // The watchdog is gone; do its last duty so that the command cannot outlive leadership.
            if let child = state.withLock({ $0.childPID }) { kill(-child, SIGKILL) }
            final = .supervisorVanished(exit)
        }
        let outcome = final ?? .supervisorVanished(exit)
        let waiters = state.withLock { state -> [CheckedContinuation<Outcome, Never>] in
            state.outcome = outcome
            if state.heartbeatDescriptor >= 0 {
                close(state.heartbeatDescriptor)
                state.heartbeatDescriptor = -1
            }
            defer { state.waiters = [] }
            return state.waiters
        }
        for waiter in waiters { waiter.resume(returning: outcome) }
    }
}
