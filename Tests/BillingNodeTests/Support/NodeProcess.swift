import Foundation
import Glibc

/// A `billing node` child process of a test, with its log in the test's directory.
struct NodeProcess: Sendable {
    let id: String
    let port: Int
    let pid: Int32
    let logPath: String

    var baseURL: String { "http://127.0.0.1:\(port)" }

    /// Starts `billing ARGUMENTS` with `environment` added, output to `logPath`.
    static func spawn(id: String, port: Int, arguments: [String], environment: [String: String], logPath: String) throws -> NodeProcess {
        let pid = try spawnProcess(arguments: arguments, environment: environment, logPath: logPath)
        return NodeProcess(id: id, port: port, pid: pid, logPath: logPath)
    }

    /// Starts `billing ARGUMENTS`; returns the pid.
    static func spawnProcess(executable: String? = nil, arguments: [String], environment: [String: String] = [:], logPath: String) throws -> Int32 {
        let executable = try executable ?? BillingBinary.path()
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, logPath, O_WRONLY | O_CREAT | O_APPEND, 0o644)
        posix_spawn_file_actions_addopen(&actions, 2, logPath + ".err", O_WRONLY | O_CREAT | O_APPEND, 0o644)
        let merged = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        let envp = merged.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            argv.forEach { free($0) }
            envp.forEach { free($0) }
        }
        var pid: pid_t = 0
        let result = posix_spawn(&pid, executable, &actions, nil, argv, envp)
        guard result == 0 else { throw TestFailure("cannot start \(executable): \(result)") }
        return pid
    }

    func send(_ signal: Int32) { _ = kill(pid, signal) }

    /// Waits for the process to exit; its exit status (128 + signal when killed), or nil on timeout.
    static func waitForExit(_ pid: Int32, timeout: Duration) async -> Int32? {
        let clock = ContinuousClock()
        let end = clock.now + timeout
        repeat {
            var status: Int32 = 0
            if waitpid(pid, &status, WNOHANG) == pid {
                return status & 0x7f == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
            }
            try? await Task.sleep(for: .milliseconds(20))
        } while clock.now < end
        return nil
    }

    /// SIGKILL and reap (for cleanup).
    func stop() async {
        send(SIGKILL)
        _ = await Self.waitForExit(pid, timeout: .seconds(5))
    }
}

/// Polls `condition` until it returns a value or `timeout` passes.
func eventually<T>(timeout: Duration, _ condition: () async -> T?) async -> T? {
    let clock = ContinuousClock()
    let end = clock.now + timeout
    repeat {
        if let value = await condition() { return value }
        try? await Task.sleep(for: .milliseconds(50))
    } while clock.now < end
    return nil
}
