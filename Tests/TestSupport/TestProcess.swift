import Dispatch
import Foundation
import Glibc
import Synchronization

/// A child process a test started: its output lines, its input, signals, and a kill that waits.
///
/// (Named apart from `ChildProcesses.ChildProcess`, the library's supervised child, which the tests
/// also use.)
public final class TestProcess: Sendable {
    private let process: Process
    private let input: FileHandle?
    private let lines = Mutex<(text: String, lines: [String], ended: Bool)>(("", [], false))

    private init(process: Process, input: FileHandle?) {
        self.process = process
        self.input = input
    }

    /// The process ID.
    public var pid: Int32 { process.processIdentifier }
    /// Whether it has not exited yet.
    public var isRunning: Bool { process.isRunning }

    /// Starts `binary`; standard output and error go to the file `output`, or are collected as
    /// lines (``output``) when it is nil. `environment` is added to this process's environment.
    public static func start(
        _ binary: String,
        _ arguments: [String],
        output: String? = nil,
        environment: [String: String]? = nil,
        withInput: Bool = false
    ) throws -> TestProcess {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = arguments
        if let environment {
            process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        }
        var input: FileHandle?
        if withInput {
            let pipe = Pipe()
            process.standardInput = pipe
            input = pipe.fileHandleForWriting
        } else {
            process.standardInput = FileHandle.nullDevice
        }
        let child = TestProcess(process: process, input: input)
        if let output {
            _ = FileManager.default.createFile(atPath: output, contents: nil)
            let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: output))
            process.standardOutput = handle
            process.standardError = handle
        } else {
            let pipe = Pipe()
            process.standardOutput = pipe
            process.standardError = pipe
            // A blocking reader of its own rather than a readabilityHandler: the handler sometimes
            // never saw the end of the output of a process that had exited (1 run in 8).
            let reader = pipe.fileHandleForReading
            DispatchQueue(label: "child-output").async {
                while true {
                    let data = reader.availableData
                    if data.isEmpty {
                        child.lines.withLock { $0.ended = true }
                        return
                    }
                    child.append(String(decoding: data, as: UTF8.self))
                }
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
    public var output: [String] { lines.withLock { $0.lines } }

    /// Waits until it exited and its output was read to the end; returns every line.
    public func waitForEnd(timeout: Duration = .seconds(60)) async throws -> [String] {
        _ = try await waitForExit(timeout: timeout)
        let clock = ContinuousClock()
        let deadline = clock.now + timeout
        while !lines.withLock({ $0.ended }) {
            guard clock.now < deadline else { throw TestFailure("the output of process \(pid) did not end") }
            try await Task.sleep(for: .milliseconds(5))
        }
        return lines.withLock { $0.lines + ($0.text.isEmpty ? [] : [$0.text]) }
    }

    /// Writes a line to its standard input.
    public func send(_ line: String) {
        input?.write(Data((line + "\n").utf8))
    }

    /// Waits until a printed line satisfies `predicate`; returns it.
    public func waitForLine(timeout: Duration = .seconds(60), _ predicate: (String) -> Bool) async throws -> String {
        let clock = ContinuousClock()
        let deadline = clock.now + timeout
        while true {
            if let line = output.first(where: predicate) { return line }
            guard clock.now < deadline, isRunning else {
                throw TestFailure("no expected line within \(timeout); output so far: \(output)")
            }
            try await Task.sleep(for: .milliseconds(5))
        }
    }

    /// Sends `signal`.
    public func signal(_ signal: Int32) {
        if process.isRunning { Glibc.kill(process.processIdentifier, signal) }
    }

    /// Kills it with SIGKILL and waits for the exit.
    public func kill() {
        signal(SIGKILL)
        process.waitUntilExit()
    }

    /// Waits for the exit (polling, so that the caller's task stays cancellable).
    public func waitForExit(timeout: Duration = .seconds(60)) async throws -> Int32 {
        let clock = ContinuousClock()
        let deadline = clock.now + timeout
        while process.isRunning {
            guard clock.now < deadline else { throw TestFailure("process \(pid) did not exit within \(timeout)") }
            try await Task.sleep(for: .milliseconds(5))
        }
        return process.terminationStatus
    }

    /// Runs `binary` to completion (its output must be small); returns its exit status and output.
    public static func run(_ binary: String, _ arguments: [String]) async throws -> (status: Int32, output: String) {
        let child = try start(binary, arguments)
        let lines = try await child.waitForEnd()
        return (child.process.terminationStatus, lines.map { $0 + "\n" }.joined())
    }
}

/// A failure of a test's harness (a process, a server, a wait), with what to do.
public struct TestFailure: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
