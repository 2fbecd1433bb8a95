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

    /// The process ID.
    let pid: pid_t
    private let state = Mutex<(lines: [Line], exited: Bool)>(([], false))

    /// Starts `binary`; standard output is read line by line, standard error goes to `errorPath`
    /// (or is discarded).
    init(binary: String, arguments: [String], errorPath: String = "/dev/null") throws {
        var out: [Int32] = [-1, -1]
        guard pipe(&out) == 0 else { throw BenchError("cannot create a pipe: \(String(cString: strerror(errno)))") }
        for descriptor in out { _ = fcntl(descriptor, F_SETFD, FD_CLOEXEC) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, out[1], 1)
        posix_spawn_file_actions_addopen(&actions, 2, errorPath, O_WRONLY | O_CREAT | O_APPEND, 0o644)
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var defaults = sigset_t()
        sigfillset(&defaults)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        // An empty signal mask too: a blocked SIGTERM inherited from one of our threads would
        // never reach a kazoo candidate's handler.
        var mask = sigset_t()
        sigemptyset(&mask)
        posix_spawnattr_setsigmask(&attributes, &mask)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK))
        let argv = ([binary] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid: pid_t = 0
        let status = posix_spawn(&pid, binary, &actions, &attributes, argv, environ)
        close(out[1])
        guard status == 0 else {
            close(out[0])
            throw BenchError("cannot start \(binary): \(String(cString: strerror(status)))")
        }
        self.pid = pid
        let descriptor = out[0]
        Thread.detachNewThread { self.read(descriptor) }
    }

    /// The lines so far.
    var lines: [Line] { state.withLock { $0.lines } }
    /// Whether the process exited (and was reaped).
    var exited: Bool { state.withLock { $0.exited } }

    /// Sends `signal`.
    func send(_ signal: Int32) { kill(pid, signal) }

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
        var buffer: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = Glibc.read(descriptor, &chunk, chunk.count)
            if count < 0, errno == EINTR { continue }
            if count <= 0 { break }
            let now = monotonicNanoseconds()
            buffer += chunk[..<count]
            while let newline = buffer.firstIndex(of: UInt8(ascii: "\n")) {
                let text = String(decoding: buffer[..<newline], as: UTF8.self)
                buffer.removeSubrange(...newline)
                state.withLock { $0.lines.append(Line(text: text, arrivedAt: now)) }
            }
        }
        close(descriptor)
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0, errno == EINTR {}
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
