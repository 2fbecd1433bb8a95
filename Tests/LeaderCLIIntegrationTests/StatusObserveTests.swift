import Glibc
import Testing

extension LeaderCLITests {
    /// `leader status --json` and `leader observe` follow two candidates through a handover.
    @Suite struct StatusObserveTests {
        @Test func statusAndObserveFollowTheLeader() async throws {
            let directory = try TemporaryDirectory()
            let processes = ProcessSet()
            defer {
                processes.killAll()
                directory.remove()
            }
            let observer = try processes.start(["observe", "web", "--store", directory.store], label: "observe")
            try await observer.waitForLine("'leader none'") { $0.event == "leader" && $0.words == ["none"] }

            let alpha = try processes.start(
                ["campaign", "web", "alpha:8080", "--store", directory.store, "--ttl", "2", "--id", "alpha"], label: "alpha")
            let alphaElected = try await alpha.waitForLine("elected line") { $0.event == "elected" }
            try await observer.waitForLine("alpha as leader") { $0.event == "leader" && $0.fields["value"] == "alpha:8080" }
            let beta = try processes.start(
                ["campaign", "web", "beta:8080", "--store", directory.store, "--ttl", "2", "--id", "beta"], label: "beta")
            try await StatusProbe.waitForCandidates(2, election: "web", store: directory.store)

            let status = try await StatusProbe.status(election: "web", store: directory.store)
            #expect(status.election == "web")
            #expect(status.leader?.value == "alpha:8080")
            #expect(status.leader?.token == alphaElected.token)
            #expect(status.leader?.key == alphaElected.fields["key"])
            #expect(status.candidates.map(\.value) == ["alpha:8080", "beta:8080"])
            #expect(status.candidates.first == status.leader)

            alpha.send(SIGINT)
            #expect(try await alpha.waitForExit() == 0)
            let betaElected = try await beta.waitForLine("elected line") { $0.event == "elected" }
            let betaSeen = try await observer.waitForLine("beta as leader") { $0.event == "leader" && $0.fields["value"] == "beta:8080" }
            #expect(betaSeen.token == betaElected.token)
            let afterHandover = try await StatusProbe.status(election: "web", store: directory.store)
            #expect(afterHandover.leader?.value == "beta:8080")
            #expect(afterHandover.candidates.count == 1)

            beta.send(SIGTERM)
            #expect(try await beta.waitForExit() == 0)
            try await observer.waitForLine("'leader none' after the last resigned") { line in
                line.event == "leader" && line.words == ["none"] && line.mono > betaSeen.mono
            }
            let changes = observer.lines.filter { $0.event == "leader" }.map { $0.words.first ?? $0.fields["value"] ?? "?" }
            #expect(changes == ["none", "alpha:8080", "beta:8080", "none"], "observe printed \(changes)")
            let empty = try await StatusProbe.status(election: "web", store: directory.store)
            #expect(empty.leader == nil && empty.candidates.isEmpty)

            observer.send(SIGINT)
            #expect(try await observer.waitForExit() == 0)
        }
    }
}
