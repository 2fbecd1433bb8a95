import Dispatch
import Foundation
import Glibc
import Synchronization

/// A child process a test started: its output lines, its input, signals, and a kill that waits.
final class ChildProcess: Sendable {
    private let process: Process
    private let input: FileHandle?
    private let lines = Mutex<(text: String, lines: [String], ended: Bool)>(("", [], false))

    private init(process: Process, input: FileHandle?) {
        self.process = process
        self.input = input
    }

    var pid: Int32 { process.processIdentifier }
    var isRunning: Bool { process.isRunning }

    /// Starts `binary`; output goes to the file `output`, or is collected as lines when nil.
    static func start(_ binary: String, _ arguments: [String], output: String? = nil, withInput: Bool = false) throws -> ChildProcess {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = arguments
        var input: FileHandle?
        if withInput {
            let pipe = Pipe()
            process.standardInput = pipe
            input = pipe.fileHandleForWriting
        } else {
            process.standardInput = FileHandle.nullDevice
        }
        let child = ChildProcess(process: process, input: input)
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
    var output: [String] { lines.withLock { $0.lines } }

    /// Waits until it exited and its output was read to the end; returns every line.
    func waitForEnd(timeout: Duration = .seconds(60)) async throws -> [String] {
        _ = try await waitForExit(timeout: timeout)
        let clock = ContinuousClock()
        let deadline = clock.now + timeout
        while !lines.withLock({ $0.ended }) {
            guard clock.now < deadline else { throw PostgresTestError("the output of process \(pid) did not end") }
            try await Task.sleep(for: .milliseconds(5))
        }
        return lines.withLock { $0.lines + ($0.text.isEmpty ? [] : [$0.text]) }
    }

    /// Writes a line to its standard input.
    func send(_ line: String) {
        input?.write(Data((line + "\n").utf8))
    }

    /// Waits until a printed line satisfies `predicate`; returns it.
    func waitForLine(timeout: Duration = .seconds(60), _ predicate: (String) -> Bool) async throws -> String {
        let clock = ContinuousClock()
        let deadline = clock.now + timeout
        while true {
            if let line = output.first(where: predicate) { return line }
            guard clock.now < deadline, isRunning else {
                throw PostgresTestError("no expected line within \(timeout); output so far: \(output)")
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
    func waitForExit(timeout: Duration = .seconds(60)) async throws -> Int32 {
        let clock = ContinuousClock()
        let deadline = clock.now + timeout
        while process.isRunning {
            guard clock.now < deadline else { throw PostgresTestError("process \(pid) did not exit within \(timeout)") }
            try await Task.sleep(for: .milliseconds(5))
        }
        return process.terminationStatus
    }
}

/// A failure of the test harness itself.
struct PostgresTestError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
