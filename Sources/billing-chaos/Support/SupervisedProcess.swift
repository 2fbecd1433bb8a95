import Glibc
import Synchronization

/// A long-running child of the harness (an etcd member, PostgreSQL, a billing node), started
/// with `posix_spawn` in a process group of its own, so that a signal reaches every process it
/// forked (PostgreSQL's backends), with its output appended to a log file.
final class SupervisedProcess: Sendable {
    /// Whether the process runs, is stopped by SIGSTOP, or is gone.
    enum Phase: Sendable, Equatable {
        case running(pid_t)
        case stopped(pid_t)
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

    var pid: pid_t? {
        switch current {
        case .running(let pid), .stopped(let pid): pid
        case .down: nil
        }
    }

    /// Replaces the command line used by the next ``start()``.
    func setArguments(_ new: [String]) { arguments.withLock { $0 = new } }

    /// Starts the process (again).
    func start() throws {
        let argv = arguments.withLock { $0 }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, logPath, O_WRONLY | O_CREAT | O_APPEND, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        // A process group of its own, and a clean signal state: the harness's threads block
        // signals that the child must see (SIGTERM for a graceful stop).
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        posix_spawnattr_setpgroup(&attributes, 0)
        var noSignals = sigset_t()
        sigemptyset(&noSignals)
        posix_spawnattr_setsigmask(&attributes, &noSignals)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for signal in [SIGTERM, SIGINT, SIGHUP, SIGPIPE, SIGCHLD] { sigaddset(&defaults, signal) }
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        let cArguments = argv.map { strdup($0) } + [nil]
        let cEnvironment = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            cArguments.forEach { free($0) }
            cEnvironment.forEach { free($0) }
        }
        var pid: pid_t = 0
        let result = posix_spawn(&pid, argv[0], &actions, &attributes, cArguments, cEnvironment)
        guard result == 0 else {
            throw HarnessError("cannot start \(name) (\(argv[0])): \(String(cString: strerror(result)))")
        }
        phase.withLock { $0 = .running(pid) }
    }

    /// SIGKILL to the whole process group; returns true once the process is reaped (the fault is confirmed).
    func kill() async -> Bool {
        guard let pid else { return false }
        Glibc.kill(-pid, SIGKILL)
        let reaped = await wait(pid, timeout: .seconds(10)) != nil
        if reaped { phase.withLock { $0 = .down } }
        return reaped
    }

    /// SIGSTOP to the process group; returns true once the kernel reports the process stopped.
    func pause() async -> Bool {
        guard case .running(let pid) = current else { return false }
        Glibc.kill(-pid, SIGSTOP)
        phase.withLock { $0 = .stopped(pid) }
        for _ in 0..<100 {
            if Self.processState(pid) == "T" { return true }
            try? await Task.sleep(for: .milliseconds(10))
        }
        return false
    }

    /// SIGCONT to the process group.
    func resume() {
        guard case .stopped(let pid) = current else { return }
        Glibc.kill(-pid, SIGCONT)
        phase.withLock { $0 = .running(pid) }
    }

    /// SIGTERM (after SIGCONT), then SIGKILL after `grace`.
    func terminate(grace: Duration) async {
        resume()
        guard let pid else { return }
        Glibc.kill(-pid, SIGTERM)
        if await wait(pid, timeout: grace) == nil {
            Glibc.kill(-pid, SIGKILL)
            _ = await wait(pid, timeout: .seconds(10))
        }
        phase.withLock { $0 = .down }
    }

    /// Reaps the process if it exited by itself with a non-zero status (a crash, not a signal
    /// the harness sent); returns that status then.
    func reapIfFailed() -> Int32? {
        guard case .running(let pid) = current else { return nil }
        // WNOWAIT: look without reaping, so that a process the harness is killing right now
        // stays for kill() to reap.
        var info = siginfo_t()
        guard waitid(P_PID, id_t(pid), &info, WEXITED | WNOHANG | WNOWAIT) == 0, info._sifields._sigchld.si_pid == pid,
              info.si_code == Int32(CLD_EXITED) else { return nil }
        let status = info._sifields._sigchld.si_status
        guard status != 0, Self.reap(pid) != nil else { return nil }
        phase.withLock { $0 = .down }
        return status
    }

    private func wait(_ pid: pid_t, timeout: Duration) async -> Int32? {
        let clock = ContinuousClock()
        let end = clock.now + timeout
        repeat {
            if let status = Self.reap(pid) { return status }
            try? await Task.sleep(for: .milliseconds(10))
        } while clock.now < end
        return nil
    }

    private static func reap(_ pid: pid_t) -> Int32? {
        var status: Int32 = 0
        let result = waitpid(pid, &status, WNOHANG)
        if result == pid { return status }
        if result < 0, errno == ECHILD { return -1 }
        return nil
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
