import ChildProcesses
import Dispatch
import Foundation
import Glibc
import Synchronization
import TestSupport

/// A `leader` process started by a test: its event lines as they arrive, its standard error,
/// signals, and its exit. ``ProcessSet`` kills every one a test started.
final class LeaderProcess: Sendable {
    private struct State {
        var lines: [EventLine] = []
        var errorText = ""
        var exitStatus: Int32?
    }

    private let child: ChildProcess
    /// The process ID.
    var pid: pid_t { child.pid }
    /// A name for messages.
    let label: String
    private let state = Mutex(State())

    /// Starts `leader` with `arguments`.
    init(_ arguments: [String], label: String, environment: [String: String] = [:]) throws {
        let binary = try LeaderBinary.path()
        var env = ProcessInfo.processInfo.environment
        env.removeValue(forKey: "LEADER_STORE")
        env.merge(environment) { $1 }
        let child: ChildProcess
        do {
            child = try ChildProcess.spawn(binary, arguments, options: .init(output: .pipe, error: .pipe, environment: .exactly(env)))
        } catch {
            throw POSIXError(POSIXErrorCode(rawValue: error.code) ?? .EINVAL)
        }
        self.child = child
        self.label = label
        DispatchQueue(label: "leader-test.stdout.\(child.pid)").async { self.readLines(child.outputPipe!) }
        DispatchQueue(label: "leader-test.stderr.\(child.pid)").async { self.readErrors(child.errorPipe!) }
    }

    /// The event lines so far.
    var lines: [EventLine] { state.withLock { $0.lines } }
    /// Standard error so far.
    var errorText: String { state.withLock { $0.errorText } }
    /// The exit status (shell convention: 128+N for signal N), once exited and reaped.
    var exitStatus: Int32? { state.withLock { $0.exitStatus } }

    /// Sends `signal`.
    func send(_ signal: Int32) { child.signal(signal) }

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
        throw TestFailure(
            "\(label) printed no \(what) within \(timeout); its output:\n\(lines.map(\.text).joined(separator: "\n"))\nstderr:\n\(errorText)"
        )
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
        PipeReader.readLines(from: descriptor) { texts in
            let lines = texts.compactMap { EventLine($0) }
            state.withLock { $0.lines += lines }
        }
        let status = (try? child.waitUntilExit())?.shellStatus ?? 0
        state.withLock { $0.exitStatus = status }
    }

    private func readErrors(_ descriptor: Int32) {
        PipeReader.readChunks(from: descriptor) { chunk in
            let text = String(decoding: chunk, as: UTF8.self)
            state.withLock { $0.errorText += text }
        }
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
