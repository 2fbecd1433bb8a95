import ChildProcesses
import Dispatch
import Foundation
import Glibc
import Synchronization

/// A `leader` process started by the benchmark, with its event lines as they arrive.
final class BenchProcess: Sendable {
    /// One event line: its first word and its `key=value` fields.
    struct Line: Sendable {
        var event: String
        var fields: [String: String]
        /// The `mono_ns` field (`CLOCK_BOOTTIME` nanoseconds).
        var mono: Int64 { fields["mono_ns"].flatMap { Int64($0) } ?? 0 }
    }

    private let child: ChildProcess
    /// The process ID.
    var pid: pid_t { child.pid }
    private let state = Mutex<(lines: [Line], exited: Bool)>(([], false))

    /// Starts `binary` with `arguments`; standard error is discarded.
    init(binary: String, arguments: [String]) throws {
        let child: ChildProcess
        do {
            child = try ChildProcess.spawn(binary, arguments, options: .init(output: .pipe, error: .discard))
        } catch {
            throw BenchError(error.description)
        }
        self.child = child
        DispatchQueue(label: "leader-bench.\(child.pid)").async { self.read(child.outputPipe!) }
    }

    /// The lines so far.
    var lines: [Line] { state.withLock { $0.lines } }
    /// Whether the process exited (and was reaped).
    var exited: Bool { state.withLock { $0.exited } }

    /// Sends `signal`.
    func send(_ signal: Int32) { child.signal(signal) }

    /// Waits for the first line with `event` after `after` (mono ns); nil after `timeout`.
    func waitFor(_ event: String, after: Int64 = 0, timeout: Duration = .seconds(30)) -> Line? {
        let end = ContinuousClock.now + timeout
        while ContinuousClock.now < end {
            if let line = lines.first(where: { $0.event == event && $0.mono > after }) { return line }
            usleep(1_000)
        }
        return nil
    }

    /// Waits until the process has exited.
    func waitForExit(timeout: Duration = .seconds(30)) {
        let end = ContinuousClock.now + timeout
        while !exited, ContinuousClock.now < end { usleep(1_000) }
    }

    private func read(_ descriptor: Int32) {
        PipeReader.readLines(from: descriptor) { texts in
            var lines: [Line] = []
            for text in texts {
                let words = text.split(separator: " ")
                guard let event = words.first else { continue }
                var fields: [String: String] = [:]
                for word in words.dropFirst() {
                    if let equals = word.firstIndex(of: "=") { fields[String(word[..<equals])] = String(word[word.index(after: equals)...]) }
                }
                lines.append(Line(event: String(event), fields: fields))
            }
            state.withLock { $0.lines += lines }
        }
        _ = try? child.waitUntilExit()
        state.withLock { $0.exited = true }
    }
}

/// A benchmark that could not run, with what to do.
struct BenchError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// `CLOCK_BOOTTIME` nanoseconds, the clock of `leader`'s `mono_ns` fields.
func monotonicNanoseconds() -> Int64 {
    var spec = timespec()
    clock_gettime(CLOCK_BOOTTIME, &spec)
    return Int64(spec.tv_sec) * 1_000_000_000 + Int64(spec.tv_nsec)
}
