import Foundation
import LeaderElection
import LeaderElectionZooKeeper
import Synchronization
import TestSupport
import Testing

extension ZooKeeperIntegrationTests {
    /// Swift candidates and kazoo's `Election` recipe (Python) in one election, both ways.
    @Suite(
        "interop with kazoo's Election",
        .serialized,
        .timeLimit(.minutes(5)),
        .enabled(if: KazooScript.available, Comment(rawValue: KazooScript.missing))
    )
    struct KazooInteropTests {
        @Test("a kazoo candidate waits behind a Swift leader, sees it as the first contender, and leads after it resigns")
        func kazooWaitsBehindSwift() async throws {
            try await ZooKeeperEnsemble.with(servers: 1) { ensemble in
                try await ZooKeeperBackend.withBackend(configuration: ensemble.configuration(), logger: TestLogger.make()) { backend in
                    let path = "/interop/swift-first-\(UInt32.random(in: 0...UInt32.max))"
                    let election = Election(
                        name: path, candidateID: "swift", value: "swift-leader", backend: backend, logger: TestLogger.make())
                    let leads = AsyncGate()
                    let release = AsyncGate()
                    try await withThrowingTaskGroup(of: Void.self) { group in
                        group.addTask {
                            try await election.withLeadership { _ in
                                leads.open()
                                await release.wait()
                            }
                        }
                        await leads.wait()
                        let kazoo = try KazooScript.candidate(ensemble.connectString, path, "kazoo-waiter")
                        defer { kazoo.kill() }
                        _ = try await kazoo.waitForLine { $0 == "waiting" }
                        let candidates = try await waitForCandidates(backend, path, count: 2)
                        #expect(candidates.map(\.value) == ["swift-leader", "kazoo-waiter"])
                        #expect(candidates[0].key.hasPrefix(path + "/"))
                        #expect(candidates[0].key.contains("__lock__"))
                        #expect(try await KazooScript.contenders(ensemble.connectString, path) == ["swift-leader", "kazoo-waiter"])
                        #expect(!kazoo.output.contains { $0.hasPrefix("elected") })
                        release.open()
                        try await group.waitForAll()
                        _ = try await kazoo.waitForLine { $0.hasPrefix("elected") }
                        #expect(try await backend.leader(election: path)?.value == "kazoo-waiter")
                        kazoo.send("release")
                        _ = try await kazoo.waitForLine { $0.hasPrefix("released") }
                        #expect(try await kazoo.waitForExit() == 0)
                    }
                }
            }
        }

        @Test("a Swift candidate waits while kazoo leads and is elected when kazoo resigns, with a larger token")
        func swiftWaitsBehindKazoo() async throws {
            try await ZooKeeperEnsemble.with(servers: 1) { ensemble in
                try await ZooKeeperBackend.withBackend(configuration: ensemble.configuration(), logger: TestLogger.make()) { backend in
                    let path = "/interop/kazoo-first-\(UInt32.random(in: 0...UInt32.max))"
                    let kazoo = try KazooScript.candidate(ensemble.connectString, path, "kazoo-leader")
                    defer { kazoo.kill() }
                    _ = try await kazoo.waitForLine { $0.hasPrefix("elected") }
                    let kazooToken = try #require(try await backend.leader(election: path)).token
                    let election = Election(
                        name: path, candidateID: "swift", value: "swift-waiter", backend: backend, logger: TestLogger.make())
                    let led = Locked(false)
                    try await withThrowingTaskGroup(of: FencingToken.self) { group in
                        group.addTask {
                            try await election.withLeadership { leadership in
                                led.withLock { $0 = true }
                                return leadership.token
                            }
                        }
                        let candidates = try await waitForCandidates(backend, path, count: 2)
                        #expect(candidates.map(\.value) == ["kazoo-leader", "swift-waiter"])
                        #expect(try await KazooScript.contenders(ensemble.connectString, path) == ["kazoo-leader", "swift-waiter"])
                        #expect(!led.withLock { $0 })
                        kazoo.send("release")
                        let token = try #require(try await group.next())
                        #expect(token > kazooToken)
                    }
                    _ = try await kazoo.waitForExit()
                }
            }
        }

        private func waitForCandidates(_ backend: ZooKeeperBackend, _ path: String, count: Int) async throws -> [Candidacy] {
            while true {
                let candidates = try await backend.candidates(election: path)
                if candidates.count >= count { return candidates }
                try await Task.sleep(for: .milliseconds(10))
            }
        }
    }
}

/// scripts/kazoo-election.py, run with the `python3` on the PATH.
enum KazooScript {
    static let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("scripts/kazoo-election.py").path

    static let available: Bool = {
        guard let result = try? Process.run(URL(fileURLWithPath: "/usr/bin/env"), arguments: ["python3", "-c", "import kazoo"]) else {
            return false
        }
        result.waitUntilExit()
        return result.terminationStatus == 0
    }()

    static let missing = "Python's kazoo is not installed; run scripts/install-test-deps.sh (python3 -m pip install kazoo)"

    /// Starts a kazoo Election candidate.
    static func candidate(_ hosts: String, _ election: String, _ identifier: String) throws -> TestProcess {
        try TestProcess.start("/usr/bin/env", ["python3", path, "candidate", hosts, election, identifier], withInput: true)
    }

    /// kazoo's list of contenders, leader first.
    static func contenders(_ hosts: String, _ election: String) async throws -> [String] {
        let process = try TestProcess.start("/usr/bin/env", ["python3", path, "contenders", hosts, election])
        let output = try await process.waitForEnd()
        guard let line = output.last(where: { $0.hasPrefix("[") }) else {
            throw TestFailure("kazoo contenders failed: \(output)")
        }
        return try JSONDecoder().decode([String].self, from: Data(line.utf8))
    }
}
