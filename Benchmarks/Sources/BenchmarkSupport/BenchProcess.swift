import ChildProcesses
import Dispatch
import Foundation
import Glibc
import Synchronization

/// A process started by a benchmark (`leader`, `etcd`, `etcdctl`, `java` for ZooKeeper, kazoo
/// candidates), with each output line and the monotonic time it arrived.
public final class BenchProcess: Sendable {
    /// One output line and when the benchmark read it.
    public struct Line: Sendable {
        /// The line, without its newline.
        public var text: String
        /// `CLOCK_BOOTTIME` nanoseconds at arrival.
        public var arrivedAt: Int64
        /// The first word (for `leader`'s event lines, the event).
        public var event: String { String(text.prefix { $0 != " " }) }
        /// The `key=value` words after the first.
        public var fields: [String: String] {
            var fields: [String: String] = [:]
            for word in text.split(separator: " ").dropFirst() {
                if let equals = word.firstIndex(of: "=") { fields[String(word[..<equals])] = String(word[word.index(after: equals)...]) }
            }
            return fields
        }
        /// The `mono_ns` field of a `leader` event line (`CLOCK_BOOTTIME` nanoseconds), or 0.
        public var mono: Int64 { fields["mono_ns"].flatMap { Int64($0) } ?? 0 }
    }

    private let child: ChildProcess
    /// The process ID.
    public var pid: pid_t { child.pid }
    private let state = Mutex<(lines: [Line], exited: Bool)>(([], false))

    /// Starts `binary`; standard output is read line by line, standard error goes to `errorPath`
    /// (or is discarded).
    public init(binary: String, arguments: [String], errorPath: String = "/dev/null") throws {
        let child: ChildProcess
        do {
            child = try ChildProcess.spawn(
                binary, arguments, options: .init(input: .null, output: .pipe, error: .append(toFile: errorPath)))
        } catch {
            throw BenchError(error.description)
        }
        self.child = child
        Thread.detachNewThread { self.read(child.outputPipe!) }
    }

    /// The lines so far.
    public var lines: [Line] { state.withLock { $0.lines } }
    /// Whether the process exited (and was reaped).
    public var exited: Bool { state.withLock { $0.exited } }

    /// Sends `signal`.
    public func send(_ signal: Int32) { child.signal(signal) }

    /// Waits for the first line satisfying `predicate` that arrived after `after`; nil after `timeout`.
    public func waitFor(after: Int64 = 0, timeout: Duration = .seconds(30), _ predicate: (Line) -> Bool) -> Line? {
        let end = ContinuousClock.now + timeout
        while ContinuousClock.now < end {
            if let line = lines.first(where: { $0.arrivedAt > after && predicate($0) }) { return line }
            if exited { return lines.first(where: { $0.arrivedAt > after && predicate($0) }) }
            usleep(500)
        }
        return nil
    }

    /// Waits for the first `leader` event line `event` whose `mono_ns` is after `after`; nil after
    /// `timeout`.
    public func waitFor(_ event: String, after: Int64 = 0, timeout: Duration = .seconds(30)) -> Line? {
        waitFor(timeout: timeout) { $0.event == event && $0.mono > after }
    }

    /// Kills it and waits until it is reaped.
    public func kill9() {
        send(SIGKILL)
        waitForExit()
    }

    /// Waits until the process has exited.
    public func waitForExit(timeout: Duration = .seconds(30)) {
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
public struct BenchError: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// `CLOCK_BOOTTIME` nanoseconds (the clock of `leader`'s `mono_ns` fields).
public func monotonicNanoseconds() -> Int64 {
    var spec = timespec()
    clock_gettime(CLOCK_BOOTTIME, &spec)
    return Int64(spec.tv_sec) * 1_000_000_000 + Int64(spec.tv_nsec)
}

/// Milliseconds between two `monotonicNanoseconds()` values.
public func milliseconds(from start: Int64, to end: Int64) -> Double { Double(end - start) / 1_000_000 }
