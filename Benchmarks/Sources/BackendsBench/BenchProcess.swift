import ChildProcesses
import Dispatch
import Foundation
import Glibc
import Synchronization

/// A process started by the benchmark (`java` for ZooKeeper, kazoo candidates, `leader`), with each output line and
/// the monotonic time it arrived.
final class BenchProcess: Sendable {
    /// One output line and when the benchmark read it.
    struct Line: Sendable {
        var text: String
        /// `CLOCK_BOOTTIME` nanoseconds at arrival.
        var arrivedAt: Int64
        /// The first word.
        var event: String { String(text.prefix { $0 != " " }) }
    }

    private let child: ChildProcess
    /// The process ID.
    var pid: pid_t { child.pid }
    private let state = Mutex<(lines: [Line], exited: Bool)>(([], false))

    /// Starts `binary`; standard output is read line by line, standard error goes to `errorPath`
    /// (or is discarded).
    init(binary: String, arguments: [String], errorPath: String = "/dev/null") throws {
        let child: ChildProcess
        do {
            child = try ChildProcess.spawn(binary, arguments, options: .init(input: .null, output: .pipe, error: .append(toFile: errorPath)))
        } catch {
            throw BenchError(error.description)
        }
        self.child = child
        Thread.detachNewThread { self.read(child.outputPipe!) }
    }

    /// The lines so far.
    var lines: [Line] { state.withLock { $0.lines } }
    /// Whether the process exited (and was reaped).
    var exited: Bool { state.withLock { $0.exited } }

    /// Sends `signal`.
    func send(_ signal: Int32) { child.signal(signal) }

    /// Waits for the first line satisfying `predicate` that arrived after `after`; nil after `timeout`.
    func waitFor(after: Int64 = 0, timeout: Duration = .seconds(30), _ predicate: (Line) -> Bool) -> Line? {
        let end = ContinuousClock.now + timeout
        while ContinuousClock.now < end {
            if let line = lines.first(where: { $0.arrivedAt > after && predicate($0) }) { return line }
            if exited { return lines.first(where: { $0.arrivedAt > after && predicate($0) }) }
            usleep(500)
        }
        return nil
    }

    /// Kills it and waits until it is reaped.
    func kill9() {
        send(SIGKILL)
        waitForExit()
    }

    /// Waits until the process has exited.
    func waitForExit(timeout: Duration = .seconds(30)) {
        let end = ContinuousClock.now + timeout
        while !exited, ContinuousClock.now < end { usleep(1_000) }
    }

    private func read(_ descriptor: Int32) {
        PipeReader.readLines(from: descriptor) { texts in
            let now = monotonicNanoseconds()
            state.withLock { $0.lines += texts.map { Line(text: $0, arrivedAt: now) } }
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

/// `CLOCK_BOOTTIME` nanoseconds (the clock of `leader`'s `mono_ns` fields).
func monotonicNanoseconds() -> Int64 {
    var spec = timespec()
    clock_gettime(CLOCK_BOOTTIME, &spec)
    return Int64(spec.tv_sec) * 1_000_000_000 + Int64(spec.tv_nsec)
}

/// Milliseconds between two `monotonicNanoseconds()` values.
func milliseconds(from start: Int64, to end: Int64) -> Double { Double(end - start) / 1_000_000 }
