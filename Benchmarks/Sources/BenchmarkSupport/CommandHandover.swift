import Glibc
import LeaderElection

/// Graceful handover of `leader campaign` processes on a store: the leader gets `signal`, and a
/// sample ends when the next process reports that it leads. Timed process to process, so it can
/// stand beside a reference client timed the same way (`etcdctl elect`, kazoo).
public enum CommandHandover {
    /// When a sample ends.
    public enum End: Sendable {
        /// When the next process's `elected` line reaches the benchmark (for comparison with a
        /// client that prints no timestamp).
        case lineArrival
        /// At the `mono_ns` stamp the next process prints (for comparison with a client that
        /// prints its own boot-time stamp).
        case printedStamp
    }

    /// - Parameters:
    ///   - observer: A backend on the same store, to see when the waiting candidate has joined.
    public static func run(
        store: String,
        leader binary: String,
        observer: any ElectionBackend,
        count: Int,
        signal: Int32,
        end: End
    ) async throws -> [Double] {
        let name = "bench-handover-leader-\(getpid())"
        func start(_ id: Int) throws -> BenchProcess {
            try BenchProcess(binary: binary, arguments: ["campaign", name, "--store", store, "--ttl", "5", "--id", "c\(id)"])
        }
        var leader = try start(0)
        defer { leader.kill9() }
        guard leader.waitFor(timeout: .seconds(60), { $0.event == "elected" }) != nil else {
            throw BenchError("the first leader campaign on \(store) was not elected; is \(binary) the leader command?")
        }
        var samples: [Double] = []
        for round in 1...count {
            let waiter = try start(round)
            try await waitUntil { (try? await observer.candidates(election: name).count) == 2 }
            // Steady state: the waiter is waiting on its notification or watch.
            try await Task.sleep(for: .milliseconds(200))
            let begin = monotonicNanoseconds()
            leader.send(signal)
            guard let line = waiter.waitFor(after: begin, timeout: .seconds(60), { $0.event == "elected" }) else {
                waiter.kill9()
                throw BenchError("leader campaign c\(round) on \(store) was not elected within 60 s")
            }
            let ended =
                switch end {
                case .lineArrival: line.arrivedAt
                case .printedStamp: line.mono > 0 ? line.mono : line.arrivedAt
                }
            samples.append(milliseconds(from: begin, to: ended))
            leader.waitForExit()
            leader = waiter
        }
        return samples
    }
}
