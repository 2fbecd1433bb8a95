import Foundation
import TestSupport

/// Runs `leader status --json` and reads its answer.
enum StatusProbe {
    /// The decoded status.
    struct Status: Decodable {
        struct Entry: Decodable, Equatable {
            var key: String
            var value: String
            var token: Int64
            var lease: String
        }

        var election: String
        var leader: Entry?
        var candidates: [Entry]
    }

    /// One `leader status --json` run.
    static func status(election: String, store: String) async throws -> Status {
        let process = try LeaderProcess(["status", election, "--store", store, "--json"], label: "status")
        let exitStatus = try await process.waitForExit()
        guard exitStatus == 0, let line = process.lines.first else {
            throw TestFailure("leader status exited \(exitStatus): \(process.errorText)")
        }
        return try JSONDecoder().decode(Status.self, from: Data(line.text.utf8))
    }

    /// Waits until the election has `count` candidates.
    static func waitForCandidates(_ count: Int, election: String, store: String, timeout: Duration = .seconds(20)) async throws {
        let end = ContinuousClock.now + timeout
        var last: Status?
        while ContinuousClock.now < end {
            last = try await status(election: election, store: store)
            if last?.candidates.count == count { return }
            try await Task.sleep(for: .milliseconds(20))
        }
        throw TestFailure("the election never had \(count) candidates within \(timeout); last status: \(String(describing: last))")
    }
}
