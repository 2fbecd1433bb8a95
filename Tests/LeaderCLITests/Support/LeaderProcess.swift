import Dispatch
import Foundation
import Glibc
import Synchronization

/// A `leader` process started by a test: its event lines as they arrive, its standard error,
/// signals, and its exit. ``ProcessSet`` kills every one a test started.
final class LeaderProcess: Sendable {
    private struct State {
        var lines: [EventLine] = []
        var errorText = ""
        var exitStatus: Int32?
    }

    /// The process ID.
    let pid: pid_t
    /// A name for messages.
    let label: String
    private let state = Mutex(State())

    /// Starts `leader` with `arguments`.
    init(_ arguments: [String], label: String, environment: [String: String] = [:]) throws {
        let binary = try LeaderBinary.path()
        var out: [Int32] = [-1, -1]
        var err: [Int32] = [-1, -1]
        guard pipe(&out) == 0, pipe(&err) == 0 else { throw POSIXError(.EMFILE) }
        // Later processes must not inherit these ends (an inherited write end would hide EOF).
        for descriptor in out + err { _ = fcntl(descriptor, F_SETFD, FD_CLOEXEC) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, out[1], 1)
        posix_spawn_file_actions_adddup2(&actions, err[1], 2)
        for descriptor in out + err { posix_spawn_file_actions_addclose(&actions, descriptor) }
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var defaults = sigset_t()
        sigfillset(&defaults)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        var mask = sigset_t()
        sigemptyset(&mask)
        posix_spawnattr_setsigmask(&attributes, &mask)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK))
        var env = ProcessInfo.processInfo.environment
        env.removeValue(forKey: "LEADER_STORE")
        env.merge(environment) { $1 }
        let argv = ([binary] + arguments).map { strdup($0) } + [nil]
        let envp = env.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { (argv + envp).forEach { free($0) } }
        var pid: pid_t = 0
        let status = posix_spawn(&pid, binary, &actions, &attributes, argv, envp)
        close(out[1])
        close(err[1])
        guard status == 0 else {
            close(out[0])
            close(err[0])
            throw POSIXError(POSIXErrorCode(rawValue: status) ?? .EINVAL)
        }
        self.pid = pid
        self.label = label
        let outRead = out[0]
        let errRead = err[0]
        DispatchQueue(label: "leader-test.stdout.\(pid)").async { self.readLines(outRead) }
        DispatchQueue(label: "leader-test.stderr.\(pid)").async { self.readErrors(errRead) }
    }

    /// The event lines so far.
    var lines: [EventLine] { state.withLock { $0.lines } }
    /// Standard error so far.
    var errorText: String { state.withLock { $0.errorText } }
    /// The exit status (shell convention: 128+N for signal N), once exited and reaped.
    var exitStatus: Int32? { state.withLock { $0.exitStatus } }

    /// Sends `signal`.
    func send(_ signal: Int32) { kill(pid, signal) }

    /// Waits until a line satisfies `predicate`; fails after `timeout`.
    @discardableResult
    func waitForLine(
        _ what: String,
        timeout: Duration = .seconds(20),
        where predicate: (EventLine) -> Bool
    ) async throws -> EventLine {
        let end = ContinuousClock.now + timeout
        while ContinuousClock.now < end {
            if let line = lines.first(where: predicate) { return line }
            try await Task.sleep(for: .milliseconds(10))
        }
        throw TestFailure("\(label) printed no \(what) within \(timeout); its output:\n\(lines.map(\.text).joined(separator: "\n"))\nstderr:\n\(errorText)")
    }

    /// Waits for the process to exit and returns its status; fails after `timeout`.
    @discardableResult
    func waitForExit(timeout: Duration = .seconds(20)) async throws -> Int32 {
        let end = ContinuousClock.now + timeout
        while ContinuousClock.now < end {
            if let status = exitStatus { return status }
            try await Task.sleep(for: .milliseconds(10))
        }
        throw TestFailure("\(label) did not exit within \(timeout); stderr:\n\(errorText)")
    }

    private func readLines(_ descriptor: Int32) {
        var buffer: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = read(descriptor, &chunk, chunk.count)
            if count < 0, errno == EINTR { continue }
            if count <= 0 { break }
            buffer += chunk[..<count]
            while let newline = buffer.firstIndex(of: UInt8(ascii: "\n")) {
                let text = String(decoding: buffer[..<newline], as: UTF8.self)
                buffer.removeSubrange(...newline)
                if let line = EventLine(text) { state.withLock { $0.lines.append(line) } }
            }
        }
        close(descriptor)
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0, errno == EINTR {}
        let shellStatus = status & 0x7f == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
        state.withLock { $0.exitStatus = shellStatus }
    }

    private func readErrors(_ descriptor: Int32) {
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = read(descriptor, &chunk, chunk.count)
            if count < 0, errno == EINTR { continue }
            if count <= 0 { break }
            let text = String(decoding: chunk[..<count], as: UTF8.self)
            state.withLock { $0.errorText += text }
        }
        close(descriptor)
    }
}

/// The processes of one test: ``killAll()`` (from a `defer`) ends every one, even on failure.
final class ProcessSet: Sendable {
    private let processes = Mutex<[LeaderProcess]>([])

    /// Starts `leader` with `arguments` and tracks it.
    func start(_ arguments: [String], label: String, environment: [String: String] = [:]) throws -> LeaderProcess {
        let process = try LeaderProcess(arguments, label: label, environment: environment)
        processes.withLock { $0.append(process) }
        return process
    }

    /// Every process started.
    var all: [LeaderProcess] { processes.withLock { $0 } }

    /// Continues and kills every process still running.
    func killAll() {
        for process in all where process.exitStatus == nil {
            kill(process.pid, SIGCONT)
            kill(process.pid, SIGKILL)
        }
    }
}

/// A test failure with a message (thrown so that `#expect` need not be repeated).
struct TestFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
