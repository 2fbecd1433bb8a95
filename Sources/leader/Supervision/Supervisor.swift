import ChildProcesses
import Glibc

/// The write end of the supervisor's self-pipe: its signal handlers write the signal number there
/// so that `poll` wakes. Set once in ``Supervisor/installSignalHandlers()`` before any handler can
/// run, then only read; the supervisor is single-threaded.
nonisolated(unsafe) private var signalWakeDescriptor: Int32 = -1

/// The watchdog behind `leader run` (run as the hidden `leader supervise`): starts the command in
/// a process group of its own and stops it the moment the leadership it runs under may be over.
///
/// It runs in a session of its own, so stopping `leader run` (`SIGSTOP`, `SIGTSTP` to the
/// terminal's group) does not stop it. `leader run` sends it the leadership's local deadline in
/// heartbeats (see ``SupervisorProtocol``); the supervisor stops the command with `SIGTERM` and
/// then `SIGKILL` (see ``StopSchedule``) when that deadline passes without a newer heartbeat,
/// when the heartbeat pipe reaches end of file (`leader run` died), when asked to, or when it
/// receives `SIGTERM`/`SIGINT`/`SIGHUP`. Once the command is gone it kills what is left of its
/// process group, reports how it ended and exits.
///
/// Single-threaded and synchronous: one `poll` loop over the heartbeat pipe and a self-pipe that
/// the signal handlers (`SIGCHLD` and the stop signals) write to.
/// Not guaranteed: anything if the supervisor itself is killed with `SIGKILL` (`leader run`
/// then kills the command's process group when it notices); processes that leave the command's
/// process group are not tracked.
struct Supervisor {
    /// The command and its arguments.
    let command: [String]
    /// Where heartbeats arrive.
    let heartbeatDescriptor: Int32
    /// Where reports go.
    let reportDescriptor: Int32
    /// Grace after `SIGTERM` in an orderly stop, in nanoseconds.
    let grace: Int64
    /// Grace once leadership is lost, in nanoseconds (half the safety margin).
    let lostGrace: Int64

    /// Supervises the command to its end, reports, and exits the process.
    func run() -> Never {
        FileDescriptor.setNonBlocking(heartbeatDescriptor)
        let wake = installSignalHandlers()
        var heartbeats = LineReader(descriptor: heartbeatDescriptor)

        // The first heartbeat carries the deadline; `leader run` writes it before starting us.
        var firstDeadline: Int64?
        while firstDeadline == nil {
            for command in heartbeats.readCommands() {
                switch command {
                case .deadline(let deadline): firstDeadline = max(firstDeadline ?? deadline, deadline)
                case .stop: finish(.ended(cause: .stop, exit: nil))
                case .lost: finish(.ended(cause: .lost, exit: nil))
                }
            }
            if heartbeats.reachedEnd, firstDeadline == nil { finish(.ended(cause: .parentGone, exit: nil)) }
            if drainSignals(wake.read).contains(where: { $0 != SIGCHLD }) { finish(.ended(cause: .signal, exit: nil)) }
            if firstDeadline == nil { waitForInput(heartbeats: heartbeatDescriptor, wake: wake, until: nil) }
        }
        guard let firstDeadline, MonotonicTime.nanoseconds() < firstDeadline else {
            finish(.ended(cause: .deadline, exit: nil))
        }

        let child: ChildProcess
        do {
            // The command gets standard input, output and error only (ChildProcess closes the
            // rest in the child): not the protocol pipes, not what the runtime left open.
            child = try ChildProcess.spawn(
                command[0], Array(command.dropFirst()), options: .init(processGroup: .newGroup, searchesPath: true))
        } catch {
            finish(.failed(errno: error.code))
        }
        report(.started(pid: child.pid))

        var schedule = StopSchedule(grace: grace, lostGrace: lostGrace, deadline: firstDeadline)
        var killed = false
        func stop(_ cause: SupervisorProtocol.Cause) {
            if schedule.stop(cause, now: MonotonicTime.nanoseconds()) { child.signalGroup(SIGTERM) }
        }
        while true {
            for command in heartbeats.readCommands() {
                switch command {
                case .deadline(let deadline): schedule.heartbeat(deadline: deadline)
                case .stop: stop(.stop)
                case .lost: stop(.lost)
                }
            }
            if heartbeats.reachedEnd, !schedule.isStopping { stop(.parentGone) }
            for signal in drainSignals(wake.read) where signal != SIGCHLD {
                stop(.signal)
            }
            if let exit = child.exitWithoutReaping() {
                // The group's leader is a zombie until reaped, so its group ID cannot be reused:
                // kill whatever is left of the group, then reap.
                child.signalGroup(SIGKILL)
                _ = try? child.waitUntilExit()
                finish(.ended(cause: schedule.cause ?? .exited, exit: exit))
            }
            switch schedule.due(now: MonotonicTime.nanoseconds()) {
            case .deadlinePassed:
                stop(.deadline)
                continue
            case .kill where !killed:
                child.signalGroup(SIGKILL)
                killed = true
            case .kill, .nothing:
                break
            }
            waitForInput(
                heartbeats: heartbeats.reachedEnd ? -1 : heartbeatDescriptor,
                wake: wake,
                until: killed ? nil : schedule.nextWake
            )
        }
    }

    /// Writes `report` and exits.
    private func finish(_ final: SupervisorProtocol.Report) -> Never {
        report(final)
        exit(0)
    }

    private func report(_ report: SupervisorProtocol.Report) {
        FileDescriptor.write(reportDescriptor, report.line)
    }

    /// Waits until a descriptor is readable or `until` (boot-time nanoseconds) passes.
    private func waitForInput(heartbeats: Int32, wake: (read: Int32, write: Int32), until deadline: Int64?) {
        var descriptors = [
            pollfd(fd: heartbeats, events: Int16(POLLIN), revents: 0), pollfd(fd: wake.read, events: Int16(POLLIN), revents: 0),
        ]
        var timeout: Int32 = -1
        if let deadline {
            // Round up: waking a little late is harmless, waking early just loops once more.
            let remaining = max(0, deadline - MonotonicTime.nanoseconds())
            timeout = Int32(clamping: (remaining + 999_999) / 1_000_000)
        }
        _ = poll(&descriptors, nfds_t(descriptors.count), timeout)
    }

    /// Routes `SIGCHLD`, `SIGTERM`, `SIGINT` and `SIGHUP` to a self-pipe. Returns the pipe.
    private func installSignalHandlers() -> (read: Int32, write: Int32) {
        guard let pipe = try? FileDescriptor.makePipe() else {
            FileDescriptor.write(STDERR_FILENO, "error: the supervisor could not create its signal pipe: \(SystemError.lastMessage())\n")
            exit(1)
        }
        FileDescriptor.setNonBlocking(pipe.read)
        FileDescriptor.setNonBlocking(pipe.write)
        signalWakeDescriptor = pipe.write
        var action = sigaction()
        action.__sigaction_handler.sa_handler = { signal in
            let savedErrno = errno
            var byte = UInt8(truncatingIfNeeded: signal)
            _ = write(signalWakeDescriptor, &byte, 1)
            errno = savedErrno
        }
        sigemptyset(&action.sa_mask)
        action.sa_flags = SA_RESTART
        for signal in [SIGCHLD, SIGTERM, SIGINT, SIGHUP] {
            sigaction(signal, &action, nil)
        }
        // The process may have been started with some of these blocked.
        var unblock = sigset_t()
        sigemptyset(&unblock)
        for signal in [SIGCHLD, SIGTERM, SIGINT, SIGHUP] { sigaddset(&unblock, signal) }
        sigprocmask(SIG_UNBLOCK, &unblock, nil)
        return pipe
    }

    /// The signal numbers written to the self-pipe since the last call.
    private func drainSignals(_ descriptor: Int32) -> [Int32] {
        var signals: [Int32] = []
        var buffer = [UInt8](repeating: 0, count: 64)
        while true {
            let count = read(descriptor, &buffer, buffer.count)
            if count <= 0 { break }
            signals += buffer[..<count].map { Int32($0) }
        }
        return signals
    }
}

/// Reads newline-terminated ``SupervisorProtocol/Command`` lines from a non-blocking descriptor.
struct LineReader {
    /// The descriptor.
    let descriptor: Int32
    /// Whether end of file was reached.
    private(set) var reachedEnd = false
    private var buffer: [UInt8] = []

    /// A reader of `descriptor`.
    init(descriptor: Int32) { self.descriptor = descriptor }

    /// Reads what is available now and returns the complete commands in it (unknown lines are skipped).
    mutating func readCommands() -> [SupervisorProtocol.Command] {
        guard !reachedEnd else { return [] }
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = read(descriptor, &chunk, chunk.count)
            if count > 0 {
                buffer += chunk[..<count]
                continue
            }
            if count == 0 { reachedEnd = true }
            if count < 0, errno == EINTR { continue }
            break
        }
        return SupervisorProtocol.takeLines(from: &buffer).compactMap { SupervisorProtocol.Command(line: $0) }
    }
}
