import Dispatch
import Foundation
import Synchronization
import Testing

@Suite("Deterministic simulation")
struct SimulationTests {
    /// `SIMULATION_SEED=N` replays one seed (add `SIMULATION_TRACE=1` to print every event);
    /// `SIMULATION_SEEDS=N` sets how many seeds run (default 1,000).
    static var seeds: [UInt64] {
        let environment = ProcessInfo.processInfo.environment
        if let seed = environment["SIMULATION_SEED"].flatMap(UInt64.init) { return [seed] }
        let count = environment["SIMULATION_SEEDS"].flatMap(Int.init) ?? 1000
        return (1...UInt64(max(count, 1))).map { $0 }
    }

    /// Runs the seeds on Dispatch's threads, leaving one core to the tests that run at the same
    /// time: CPU-bound simulation on every core would starve the timing-sensitive tests beside it
    /// (real leases, real processes) into spurious leadership losses.
    static func runOffTheCooperativePool(seeds: [UInt64], trace: Bool) async -> [SimulatedCluster.Report] {
        let workers = max(1, ProcessInfo.processInfo.activeProcessorCount - 1)
        return await withCheckedContinuation { continuation in
            DispatchQueue.global().async {
                let results = Mutex([SimulatedCluster.Report?](repeating: nil, count: seeds.count))
                DispatchQueue.concurrentPerform(iterations: workers) { worker in
                    for index in stride(from: worker, to: seeds.count, by: workers) {
                        var cluster = SimulatedCluster(seed: seeds[index])
                        cluster.trace = trace
                        let report = cluster.run()
                        results.withLock { $0[index] = report }
                    }
                }
                continuation.resume(returning: results.withLock { $0.compactMap { $0 } })
            }
        }
    }

    @Test func electionsStaySafeAndLiveUnderSeededFaults() async {
        let seeds = Self.seeds
        let trace = ProcessInfo.processInfo.environment["SIMULATION_TRACE"] != nil
        let reports = await Self.runOffTheCooperativePool(seeds: seeds, trace: trace)
        for report in reports.sorted(by: { $0.seed < $1.seed }) {
            if let violation = report.violation {
                Issue.record(
                    "seed \(report.seed): \(violation)\nreplay with: SIMULATION_SEED=\(report.seed) swift test --filter SimulationTests")
            }
        }
        let total = reports.reduce(into: (events: 0, checks: 0, leaderships: 0, crashes: 0, pauses: 0, faulted: 0)) {
            $0.events += $1.events
            $0.checks += $1.invariantChecks
            $0.leaderships += $1.leaderships
            $0.crashes += $1.crashes
            $0.pauses += $1.pauses
            $0.faulted += $1.faultedCalls
        }
        let worstRecovery = reports.compactMap(\.recoveryTime).max() ?? .zero
        print(
            "simulation: \(reports.count) seeds, \(total.events) events, \(total.checks) invariant checks, \(total.leaderships) leaderships, \(total.crashes) crashes, \(total.pauses) pauses, \(total.faulted) faulted store calls; worst recovery after faults \(worstRecovery)"
        )
        #expect(reports.count == seeds.count)
        #expect(total.leaderships > reports.count, "the simulation should elect leaders repeatedly")
    }
}
