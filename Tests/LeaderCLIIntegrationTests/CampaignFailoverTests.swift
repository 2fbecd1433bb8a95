import Glibc
import TestSupport
import Testing

extension LeaderCLITests {
    /// Five `leader campaign` candidates on one SQLite file: a crash, then a pause past the lease.
    @Suite struct CampaignFailoverTests {
        static let ttlSeconds = 2.0

        @Test func killAndPauseNeverOverlapLeaderships() async throws {
            let directory = try TemporaryDirectory()
            let processes = ProcessSet()
            defer {
                processes.killAll()
                directory.remove()
            }
            let candidates = try (0..<5).map { index in
                try processes.start(
                    [
                        "campaign", "failover", "value-\(index)", "--store", directory.store, "--ttl", "\(Self.ttlSeconds)", "--id",
                        "c\(index)", "--log-level", "info",
                    ],
                    label: "c\(index)"
                )
            }
            func elected(after time: Int64, excluding: Set<pid_t> = []) async throws -> (LeaderProcess, EventLine) {
                let end = ContinuousClock.now + .seconds(30)
                while ContinuousClock.now < end {
                    for candidate in candidates where !excluding.contains(candidate.pid) {
                        if let line = candidate.lines.last(where: { $0.event == "elected" && $0.mono > time }) {
                            return (candidate, line)
                        }
                    }
                    try await Task.sleep(for: .milliseconds(5))
                }
                let outputs = candidates.map { "\($0.label):\n\($0.lines.map(\.text).joined(separator: "\n"))\n\($0.errorText)" }
                // A process paused inside an SQLite write transaction keeps the file locked for
                // everyone (a limit of the single-file store); `status` then reports the lock.
                let store = (try? await StatusProbe.status(election: "failover", store: directory.store)).map { "\($0)" } ?? "status failed"
                throw TestFailure(
                    "no candidate was elected after \(time) within 30 s; store: \(store); outputs:\n\(outputs.joined(separator: "\n"))")
            }
            // Everyone joins before the first failure, so that a successor is waiting.
            let (first, _) = try await elected(after: 0)
            try await StatusProbe.waitForCandidates(5, election: "failover", store: directory.store)

            // 1. Crash: SIGKILL the leader; the next is elected once the lease expires.
            let killSent = MonotonicClock.now()
            first.send(SIGKILL)
            try await first.waitForExit()
            let killedAt = MonotonicClock.now()
            let (second, secondElected) = try await elected(after: killSent, excluding: [first.pid])
            let failover = Double(secondElected.mono - killSent) / 1e9
            print("figure: crash failover after SIGKILL: \(failover) s (TTL \(Self.ttlSeconds) s)")
            #expect(failover <= Self.ttlSeconds + 1, "a new leader must appear within TTL + 1 s of the kill")

            // 2. Pause: SIGSTOP the new leader until someone else is elected (proof it was past
            //    its lease), then SIGCONT: it must report the loss.
            let stopSent = MonotonicClock.now()
            second.send(SIGSTOP)
            let (third, thirdElected) = try await elected(after: stopSent, excluding: [first.pid, second.pid])
            second.send(SIGCONT)
            let lost = try await second.waitForLine("lost line after SIGCONT") { $0.event == "lost" }
            #expect(lost.fields["cause"] == "deadlinePassed" || lost.fields["cause"] == "leaseExpired")
            if let deadline = lost.deadline {
                print(
                    "figure: takeover after pause: next leader elected \(Double(thirdElected.mono - deadline) / 1e6) ms after the paused leader's local deadline"
                )
                #expect(deadline <= thirdElected.mono, "the paused leader's deadline must pass before the next is elected")
            }
            _ = third

            // Orderly end: every survivor resigns or withdraws and exits 0.
            for candidate in candidates where candidate.pid != first.pid { candidate.send(SIGINT) }
            for candidate in candidates where candidate.pid != first.pid {
                let status = try await candidate.waitForExit()
                #expect(status == 0, "\(candidate.label) exited \(status) after SIGINT: \(candidate.errorText)")
            }

            var intervals: [LeadershipInterval] = []
            for candidate in candidates {
                intervals += LeadershipInterval.intervals(
                    label: candidate.label,
                    lines: candidate.lines,
                    killedAt: candidate.pid == first.pid ? killedAt : nil
                )
            }
            let problems = LeadershipInterval.violations(intervals)
            #expect(
                problems.isEmpty, "\(problems.joined(separator: "\n"))\nintervals:\n\(intervals.map(\.description).joined(separator: "\n"))"
            )
            #expect(intervals.count >= 3)
            #expect(intervals.allSatisfy { $0.end != .max }, "every leadership must have ended: \(intervals)")
        }
    }
}
