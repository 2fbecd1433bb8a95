import Foundation
import Glibc
import Synchronization

/// A child process a test started: its output, signals, and a kill that waits for the exit.
final class ChildProcess: Sendable {
    private let process: Process
    private let lines = Mutex<(text: String, lines: [String])>(("", []))

    private init(process: Process) {
        self.process = process
    }

    /// The process ID.
    var pid: Int32 { process.processIdentifier }
    /// Whether it has not exited yet.
    var isRunning: Bool { process.isRunning }

    /// Starts `binary`; standard output and error go to the file `output`, or are collected in
    /// memory (see ``lines``) when it is nil.
    static func start(_ binary: String, _ arguments: [String], output: String? = nil, environment: [String: String]? = nil) throws -> ChildProcess {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = arguments
        if let environment {
            process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        }
        process.standardInput = FileHandle.nullDevice
        let child = ChildProcess(process: process)
        if let output {
            _ = FileManager.default.createFile(atPath: output, contents: nil)
            let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: output))
            process.standardOutput = handle
            process.standardError = handle
        } else {
            let pipe = Pipe()
            process.standardOutput = pipe
            process.standardError = pipe
            pipe.fileHandleForReading.readabilityHandler = { [weak child] handle in
                let data = handle.availableData
                guard let child, !data.isEmpty else { return }
                child.append(String(decoding: data, as: UTF8.self))
            }
        }
        try process.run()
        return child
    }

    private func append(_ text: String) {
        lines.withLock { state in
            state.text += text
            while let newline = state.text.firstIndex(of: "\n") {
                state.lines.append(String(state.text[..<newline]))
                state.text = String(state.text[state.text.index(after: newline)...])
            }
        }
    }

    /// The complete lines printed so far.
    var output: [String] { lines.withLock { $0.lines } }

    /// Waits until a printed line satisfies `predicate`; returns it.
    func waitForLine(timeout: Duration = .seconds(30), _ predicate: (String) -> Bool) async throws -> String {
        let clock = ContinuousClock()
        let deadline = clock.now + timeout
        while true {
            if let line = output.first(where: predicate) { return line }
            guard clock.now < deadline, isRunning || !output.isEmpty else {
                throw EtcdTestError("no expected line within \(timeout); output so far: \(output)")
            }
            try await Task.sleep(for: .milliseconds(5))
        }
    }

    /// Sends `signal`.
    func signal(_ signal: Int32) {
        if process.isRunning { Glibc.kill(process.processIdentifier, signal) }
    }

    /// Kills it with SIGKILL and waits for the exit.
    func kill() {
        signal(SIGKILL)
        process.waitUntilExit()
    }

    /// Waits for the exit (polling, so that the caller's task stays cancellable).
    func waitForExit(timeout: Duration = .seconds(30)) async throws -> Int32 {
        let clock = ContinuousClock()
        let deadline = clock.now + timeout
        while process.isRunning {
            guard clock.now < deadline else { throw EtcdTestError("process \(pid) did not exit within \(timeout)") }
            try await Task.sleep(for: .milliseconds(5))
        }
        return process.terminationStatus
    }

    /// Runs `binary` to completion (its output must be small); returns its exit status and output.
    static func run(_ binary: String, _ arguments: [String]) async throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = arguments
        process.standardInput = FileHandle.nullDevice
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let child = ChildProcess(process: process)
        let status = try await child.waitForExit(timeout: .seconds(60))
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        return (status, String(decoding: data, as: UTF8.self))
    }
}
