import ChildProcesses
import Glibc
import Synchronization

/// A long-running child of the harness (an etcd member, PostgreSQL, a billing node), started
/// in a process group of its own, so that a signal reaches every process it forked
/// (PostgreSQL's backends), with its output appended to a log file.
final class SupervisedProcess: Sendable {
    /// Whether the process runs, is stopped by SIGSTOP, or is gone.
    enum Phase: Sendable, Equatable {
        case running(ChildProcess)
        case stopped(ChildProcess)
        case down
    }

    let name: String
    let logPath: String
    private let arguments: Mutex<[String]>
    private let environment: [String: String]
    private let phase = Mutex(Phase.down)

    /// - Parameter arguments: The absolute executable path, then its arguments.
    init(name: String, arguments: [String], environment: [String: String], logPath: String) {
        self.name = name
        self.arguments = Mutex(arguments)
        self.environment = environment
        self.logPath = logPath
    }

    var current: Phase { phase.withLock { $0 } }

    /// Whether the process runs (neither stopped nor gone).
    var isRunning: Bool {
        if case .running = current { true } else { false }
    }

    private var process: ChildProcess? {
        switch current {
        case .running(let process), .stopped(let process): process
        case .down: nil
        }
    }

    var pid: pid_t? { process?.pid }

    /// Replaces the command line used by the next ``start()``.
    func setArguments(_ new: [String]) { arguments.withLock { $0 = new } }

    /// Starts the process (again).
    func start() throws {
        let argv = arguments.withLock { $0 }
        // A process group of its own, and a clean signal state: the harness's threads block
        // signals that the child must see (SIGTERM for a graceful stop).
        let options = ChildProcess.Options(
            input: .null, output: .append(toFile: logPath), error: .sameAsOutput,
            environment: .exactly(environment), processGroup: .newGroup
        )
        do {
            let process = try ChildProcess.spawn(argv[0], Array(argv.dropFirst()), options: options)
            phase.withLock { $0 = .running(process) }
        } catch {
            throw HarnessError("cannot start \(name) (\(argv[0])): \(error.reason)")
        }
    }

    /// SIGKILL to the whole process group; returns true once the process is reaped (the fault is confirmed).
    func kill() async -> Bool {
        guard let process else { return false }
        process.signalGroup(SIGKILL)
        let reaped = await Self.waitForEnd(process, timeout: .seconds(10))
        if reaped { phase.withLock { $0 = .down } }
        return reaped
    }

    /// SIGSTOP to the process group; returns true once the kernel reports the process stopped.
    func pause() async -> Bool {
        guard case .running(let process) = current else { return false }
        process.signalGroup(SIGSTOP)
        phase.withLock { $0 = .stopped(process) }
        return await Self.waitUntilStopped(process, timeout: .seconds(1))
    }

    /// Waits up to `timeout` for the process to stop by itself (a failpoint's SIGSTOP); once it
    /// has, it counts as paused, for ``resume()``.
    func waitUntilStoppedByItself(timeout: Duration) async -> Bool {
        guard case .running(let process) = current, await Self.waitUntilStopped(process, timeout: timeout) else { return false }
        phase.withLock { $0 = .stopped(process) }
        return true
    }

    /// Whether the kernel reports `process` stopped within `timeout`.
    private static func waitUntilStopped(_ process: ChildProcess, timeout: Duration) async -> Bool {
        let clock = ContinuousClock()
        let deadline = clock.now + timeout
        while clock.now < deadline {
            if processState(process.pid) == "T" { return true }
            try? await Task.sleep(for: .milliseconds(10))
        }
        return processState(process.pid) == "T"
    }

    /// SIGCONT to the process group.
    func resume() {
        guard case .stopped(let process) = current else { return }
        process.signalGroup(SIGCONT)
        phase.withLock { $0 = .running(process) }
    }

    /// SIGTERM (after SIGCONT), then SIGKILL after `grace`.
    func terminate(grace: Duration) async {
        resume()
        guard let process else { return }
        process.signalGroup(SIGTERM)
        if await !Self.waitForEnd(process, timeout: grace) {
            process.signalGroup(SIGKILL)
            _ = await Self.waitForEnd(process, timeout: .seconds(10))
        }
        phase.withLock { $0 = .down }
    }

    /// Reaps the process if it exited by itself with a non-zero status (a crash, not a signal
    /// the harness sent); returns that status then.
    func reapIfFailed() -> Int32? {
        guard case .running(let process) = current else { return nil }
        // Look without reaping, so that a process the harness is killing right now stays for
        // kill() to reap.
        guard case .exited(let status) = process.exitWithoutReaping(), status != 0 else { return nil }
        do {
            guard try process.reap() != nil else { return nil }
        } catch {
            // Reaped elsewhere: gone all the same.
        }
        phase.withLock { $0 = .down }
        return status
    }

    /// Whether `process` ended within `timeout` (reaped here, or already by a concurrent waiter).
    private static func waitForEnd(_ process: ChildProcess, timeout: Duration) async -> Bool {
        do {
            return try await process.wait(timeout: timeout) != nil
        } catch {
            return true
        }
    }

    /// The state letter in /proc/PID/stat (R, S, T, Z, ...).
    static func processState(_ pid: pid_t) -> Character? {
        guard let file = fopen("/proc/\(pid)/stat", "r") else { return nil }
        defer { fclose(file) }
        var buffer = [UInt8](repeating: 0, count: 512)
        let count = fread(&buffer, 1, 511, file)
        let line = String(decoding: buffer[..<count], as: UTF8.self)
        guard let close = line.lastIndex(of: ")") else { return nil }
        return line[line.index(after: close)...].first { $0 != " " }
    }
}
