import BenchmarkSupport
import Glibc

/// The measurements, each against real `leader` processes on a fresh SQLite file.
struct Scenarios {
    let binary: String
    let directory: String

    /// Graceful handover: SIGINT to the leader until the next candidate prints `elected`.
    func handover(rounds: Int, ttl: Double) throws -> [Double] {
        let pool = CandidatePool(binary: binary, store: "sqlite:\(directory)/handover.db", election: "handover", ttl: ttl)
        defer { pool.killAll() }
        for _ in 0..<3 { try pool.add() }
        var samples: [Double] = []
        for _ in 0..<rounds {
            let leader = try pool.leader()
            let sent = monotonicNanoseconds()
            leader.send(SIGINT)
            let next = try pool.nextElected(after: sent, excluding: leader)
            samples.append(Double(next.mono - sent) / 1e6)
            leader.waitForExit()
            pool.remove(leader)
            try pool.add()
        }
        return samples
    }

    /// Crash failover: SIGKILL to the leader until the next candidate prints `elected`.
    func failover(rounds: Int, ttl: Double) throws -> [Double] {
        let pool = CandidatePool(binary: binary, store: "sqlite:\(directory)/failover.db", election: "failover", ttl: ttl)
        defer { pool.killAll() }
        for _ in 0..<3 { try pool.add() }
        var samples: [Double] = []
        for _ in 0..<rounds {
            let leader = try pool.leader()
            // Kill at a random point of the renewal cycle, as a real crash would.
            usleep(UInt32.random(in: 0...UInt32(ttl / 3 * 1e6)))
            let sent = monotonicNanoseconds()
            leader.send(SIGKILL)
            let next = try pool.nextElected(after: sent, excluding: leader, timeout: .seconds(ttl * 5 + 10))
            samples.append(Double(next.mono - sent) / 1e6)
            leader.waitForExit()
            pool.remove(leader)
            try pool.add()
        }
        return samples
    }

    /// CPU and memory of idle processes over `window`: a leading and a waiting `campaign`, and a
    /// leading `run` (with its supervisor) and a waiting one.
    func idle(window: Double, ttl: Double) throws -> [String: ProcessUsage] {
        let campaigns = CandidatePool(binary: binary, store: "sqlite:\(directory)/idle.db", election: "idle", ttl: ttl)
        defer { campaigns.killAll() }
        try campaigns.add()
        try campaigns.add()
        let campaignLeader = try campaigns.leader()
        guard let campaignWaiter = campaigns.members.first(where: { $0 !== campaignLeader }) else {
            throw BenchError("no waiting candidate")
        }

        let runArguments = ["run", "idle-run", "--store", "sqlite:\(directory)/idle.db", "--ttl", "\(ttl)", "--", "sleep", "3600"]
        let runLeader = try BenchProcess(binary: binary, arguments: runArguments + [])
        var processes = [runLeader]
        defer {
            for process in processes { process.send(SIGINT) }
            for process in processes { process.waitForExit() }
        }
        guard runLeader.waitFor("started") != nil else { throw BenchError("leader run never started its command") }
        let runWaiter = try BenchProcess(binary: binary, arguments: runArguments)
        processes.append(runWaiter)
        guard runWaiter.waitFor("campaigning") != nil else { throw BenchError("second leader run never campaigned") }
        guard let supervisor = ProcFS.children(of: runLeader.pid).first else {
            throw BenchError("cannot find the supervisor of leader run")
        }

        usleep(1_000_000)  // settle
        let watched: [(String, pid_t)] = [
            ("campaign_leader", campaignLeader.pid), ("campaign_waiting", campaignWaiter.pid),
            ("run_leader", runLeader.pid), ("run_supervisor", supervisor), ("run_waiting", runWaiter.pid),
        ]
        let before = watched.map { ProcFS.cpuTicks($0.1) }
        let start = monotonicNanoseconds()
        usleep(UInt32(window * 1e6))
        let elapsed = Double(monotonicNanoseconds() - start) / 1e9
        let ticksPerSecond = Double(sysconf(Int32(_SC_CLK_TCK)))
        var result: [String: ProcessUsage] = [:]
        for (index, (name, pid)) in watched.enumerated() {
            let cpuSeconds = Double(ProcFS.cpuTicks(pid) - before[index]) / ticksPerSecond
            result[name] = ProcessUsage(
                cpuPercent: cpuSeconds / elapsed * 100, cpuMillisecondsPerSecond: cpuSeconds / elapsed * 1000,
                rssKiB: ProcFS.residentKiB(pid))
        }
        return result
    }
}

/// Idle cost of one process.
struct ProcessUsage: Encodable, Sendable {
    /// CPU time (user + system) as a percentage of one core over the window.
    var cpuPercent: Double
    /// The same, in milliseconds of CPU per second.
    var cpuMillisecondsPerSecond: Double
    /// `VmRSS` at the end of the window, KiB.
    var rssKiB: Int
}
