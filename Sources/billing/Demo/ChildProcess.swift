import Glibc

/// A child process started with `posix_spawn`, its output appended to a log file.
///
/// Only the pid is kept, so the value is freely shareable; the owner reaps it with ``reap()``.
struct ChildProcess: Sendable, Equatable {
    /// The process id.
    let pid: pid_t

    /// Starts `executable` with `arguments` and exactly `environment`, standard output and error
    /// appended to `logPath`, standard input from /dev/null.
    static func spawn(executable: String, arguments: [String], environment: [String: String], logPath: String) throws -> ChildProcess {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, logPath, O_WRONLY | O_CREAT | O_APPEND, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            argv.forEach { free($0) }
            envp.forEach { free($0) }
        }
        var pid: pid_t = 0
        let result = posix_spawn(&pid, executable, &actions, nil, argv, envp)
        guard result == 0 else {
            throw CLIError("cannot start \(executable): \(String(cString: strerror(result)))")
        }
        return ChildProcess(pid: pid)
    }

    /// Sends `signal`.
    func send(_ signal: Int32) { _ = kill(pid, signal) }

    /// The exit status (or 128 + signal) if the process has ended; reaps it then.
    func reap() -> Int32? {
        var status: Int32 = 0
        guard waitpid(pid, &status, WNOHANG) == pid else { return nil }
        if status & 0x7f == 0 { return (status >> 8) & 0xff }
        return 128 + (status & 0x7f)
    }

    /// Waits up to `timeout` for the process to end; returns its status, or nil if it is still running.
    func wait(timeout: Duration) async -> Int32? {
        let clock = ContinuousClock()
        let end = clock.now + timeout
        while clock.now < end {
            if let status = reap() { return status }
            try? await Task.sleep(for: .milliseconds(20))
        }
        return reap()
    }
}
