import ChildProcesses
import Glibc

/// A `billing node` child process of a test, with its log in the test's directory.
struct NodeProcess: Sendable {
    let id: String
    let port: Int
    let process: ChildProcess
    let logPath: String

    var pid: Int32 { process.pid }
    var baseURL: String { "http://127.0.0.1:\(port)" }

    /// Starts `billing ARGUMENTS` with `environment` added, output to `logPath`.
    static func spawn(id: String, port: Int, arguments: [String], environment: [String: String], logPath: String) throws -> NodeProcess {
        let process = try spawnProcess(arguments: arguments, environment: environment, logPath: logPath)
        return NodeProcess(id: id, port: port, process: process, logPath: logPath)
    }

    /// Starts `billing ARGUMENTS` (or `executable`), standard output to `logPath` and standard
    /// error to `logPath.err`.
    static func spawnProcess(
        executable: String? = nil, arguments: [String], environment: [String: String] = [:], logPath: String
    ) throws -> ChildProcess {
        let executable = try executable ?? BillingBinary.path()
        return try ChildProcess.spawn(
            executable, arguments,
            options: .init(
                input: .null, output: .append(toFile: logPath), error: .append(toFile: logPath + ".err"),
                environment: .inheritOverriding(environment)
            ))
    }

    func send(_ signal: Int32) { process.signal(signal) }

    /// Waits for the process to exit; its exit status (128 + signal when killed), or nil on timeout.
    static func waitForExit(_ process: ChildProcess, timeout: Duration) async -> Int32? {
        (try? await process.wait(timeout: timeout))?.shellStatus
    }

    /// SIGKILL and reap (for cleanup).
    func stop() async {
        send(SIGKILL)
        _ = await Self.waitForExit(process, timeout: .seconds(5))
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
