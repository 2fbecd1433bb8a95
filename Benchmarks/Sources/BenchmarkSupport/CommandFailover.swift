import Glibc

/// Crash failover: SIGKILL of a `leader campaign --store URL` leader, until the waiting process
/// prints `elected` (its `mono_ns`).
public enum CommandFailover {
    public static func run(store: String, leader binary: String, ttl: Double, count: Int) throws -> [Double] {
        let name = "bench-failover-\(getpid())-\(Int(ttl * 1000))ms"
        func start(_ id: Int) throws -> BenchProcess {
            try BenchProcess(binary: binary, arguments: ["campaign", name, "--store", store, "--ttl", "\(ttl)", "--id", "c\(id)"])
        }
        var leader = try start(0)
        defer { leader.kill9() }
        guard leader.waitFor(timeout: .seconds(60), { $0.event == "elected" }) != nil else {
            throw BenchError("the first leader campaign on \(store) did not get elected; is \(binary) built with this backend?")
        }
        var samples: [Double] = []
        for round in 1...count {
            let waiter = try start(round)
            guard waiter.waitFor(timeout: .seconds(60), { $0.event == "campaigning" }) != nil else {
                waiter.kill9()
                throw BenchError("candidate c\(round) did not start campaigning")
            }
            // Give its candidacy time to land behind the leader.
            usleep(300_000)
            let killedAt = monotonicNanoseconds()
            leader.kill9()
            guard let line = waiter.waitFor(after: killedAt, timeout: .seconds(ttl * 4 + 10), { $0.event == "elected" }) else {
                waiter.kill9()
                throw BenchError("candidate c\(round) was not elected within \(ttl * 4 + 10) s of the kill")
            }
            samples.append(milliseconds(from: killedAt, to: line.mono > 0 ? line.mono : line.arrivedAt))
            leader = waiter
        }
        return samples
    }
}
