import BenchmarkSupport
import Glibc

/// `leader campaign` candidates of one election, replaced as the benchmark ends them.
final class CandidatePool {
    let binary: String
    let store: String
    let election: String
    let ttl: Double
    private(set) var members: [BenchProcess] = []
    private var started = 0

    init(binary: String, store: String, election: String, ttl: Double) {
        self.binary = binary
        self.store = store
        self.election = election
        self.ttl = ttl
    }

    /// Starts one more candidate and waits until it has begun campaigning.
    @discardableResult
    func add() throws -> BenchProcess {
        started += 1
        let process = try BenchProcess(
            binary: binary,
            arguments: ["campaign", election, "--store", store, "--ttl", "\(ttl)", "--id", "bench-\(started)"]
        )
        guard process.waitFor("campaigning") != nil else { throw BenchError("candidate \(started) never started campaigning") }
        members.append(process)
        return process
    }

    /// The member that leads now: the last to print `elected` without a later `lost`/`resigned`.
    func leader(timeout: Duration = .seconds(30)) throws -> BenchProcess {
        let end = ContinuousClock.now + timeout
        while ContinuousClock.now < end {
            for member in members where !member.exited {
                let events = member.lines.map(\.event).filter { ["elected", "lost", "resigned"].contains($0) }
                if events.last == "elected" { return member }
            }
            usleep(1_000)
        }
        throw BenchError("no leader within \(timeout)")
    }

    /// The first `elected` line after `after` from any member but `excluded`.
    func nextElected(after: Int64, excluding excluded: BenchProcess, timeout: Duration = .seconds(30)) throws -> BenchProcess.Line {
        let end = ContinuousClock.now + timeout
        while ContinuousClock.now < end {
            for member in members where member !== excluded {
                if let line = member.lines.first(where: { $0.event == "elected" && $0.mono > after }) { return line }
            }
            usleep(500)
        }
        throw BenchError("no new leader within \(timeout) after the old one ended")
    }

    /// Removes `member` from the pool (after it exited).
    func remove(_ member: BenchProcess) {
        members.removeAll { $0 === member }
    }

    /// Ends every member.
    func killAll() {
        for member in members where !member.exited { member.send(SIGKILL) }
        for member in members { member.waitForExit() }
        members.removeAll()
    }
}
