import ChildProcesses
import Glibc
import Synchronization

/// One `billing node` child of the demo: its id, port, log, and the process running it now.
final class DemoNode: Sendable {
    /// Whether the node's process runs, is stopped (SIGSTOP) or is gone.
    enum Phase: Sendable, Equatable {
        case running(ChildProcess)
        case stopped(ChildProcess)
        case down
    }

    let id: String
    let port: Int
    let logPath: String
    private let launch: @Sendable () throws -> ChildProcess
    private let phase = Mutex(Phase.down)
    /// Exit statuses of the node's processes, in order.
    private let exits = Mutex<[Int32]>([])

    init(id: String, port: Int, logPath: String, launch: @escaping @Sendable () throws -> ChildProcess) {
        self.id = id
        self.port = port
        self.logPath = logPath
        self.launch = launch
    }

    var baseURL: String { "http://127.0.0.1:\(port)" }

    var current: Phase { phase.withLock { $0 } }

    var pid: pid_t? {
        switch current {
        case .running(let process), .stopped(let process): process.pid
        case .down: nil
        }
    }

    var exitStatuses: [Int32] { exits.withLock { $0 } }

    /// Starts a process (again).
    func start() throws {
        let process = try launch()
        phase.withLock { $0 = .running(process) }
    }

    /// SIGKILL; the process is reaped.
    func kill() async {
        guard case .running(let process) = current else { return }
        process.signal(SIGKILL)
        let status = (try? await process.wait(timeout: .seconds(5)))?.shellStatus
        exits.withLock { $0.append(status ?? -1) }
        phase.withLock { $0 = .down }
    }

    /// SIGSTOP.
    func pause() {
        guard case .running(let process) = current else { return }
        process.signal(SIGSTOP)
        phase.withLock { $0 = .stopped(process) }
    }

    /// SIGCONT.
    func resume() {
        guard case .stopped(let process) = current else { return }
        process.signal(SIGCONT)
        phase.withLock { $0 = .running(process) }
    }

    /// SIGTERM (after SIGCONT if stopped), then SIGKILL after `grace`; returns the exit status.
    func terminate(grace: Duration) async -> Int32? {
        resume()
        guard case .running(let process) = current else { return nil }
        process.signal(SIGTERM)
        var status = (try? await process.wait(timeout: grace))?.shellStatus
        if status == nil {
            process.signal(SIGKILL)
            status = (try? await process.wait(timeout: .seconds(5)))?.shellStatus
        }
        exits.withLock { $0.append(status ?? -1) }
        phase.withLock { $0 = .down }
        return status
    }

    /// Reaps a process that ended by itself (a crash); returns its status.
    func reapIfEnded() -> Int32? {
        guard case .running(let process) = current, let status = (try? process.reap())?.shellStatus else { return nil }
        exits.withLock { $0.append(status) }
        phase.withLock { $0 = .down }
        return status
    }
}
