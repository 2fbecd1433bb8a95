import Foundation
import Glibc
import Testing

extension LeaderCLITests {
    /// `leader run`: the command runs only while its process leads, even when that process is paused.
    @Suite struct RunSupervisionTests {
        static let ttlSeconds = 2.0

        /// A child that appends `TOKEN UPTIME` to `$RECORDS` every 20 ms.
        static func writeRecorder(in directory: TemporaryDirectory) throws -> String {
            let script = directory.file("recorder.sh")
            try """
            #!/bin/sh
            while :; do
              echo "$LEADER_TOKEN $(cut -d' ' -f1 /proc/uptime)" >> "$RECORDS"
              sleep 0.02
            done
            """.write(toFile: script, atomically: true, encoding: .utf8)
            chmod(script, 0o755)
            return script
        }

        /// The `(token, uptime seconds)` records in file order.
        static func records(_ path: String) throws -> [(token: Int64, uptime: Double)] {
            try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").compactMap { line in
                let parts = line.split(separator: " ")
                guard parts.count == 2, let token = Int64(parts[0]), let uptime = Double(parts[1]) else { return nil }
                return (token, uptime)
            }
        }

        static func isAlive(_ pid: pid_t) -> Bool { kill(pid, 0) == 0 || errno != ESRCH }

        /// Whether `pid` exists and is not a zombie (a killed child of a stopped parent stays one).
        static func isRunning(_ pid: pid_t) -> Bool {
            guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8), let close = stat.lastIndex(of: ")") else {
                return false
            }
            return stat[stat.index(after: close)...].split(separator: " ").first != "Z"
        }

        @Test func pausedLeaderCommandStopsBeforeTheNextStarts() async throws {
            let directory = try TemporaryDirectory()
            let processes = ProcessSet()
            defer {
                processes.killAll()
                directory.remove()
            }
            let recorder = try Self.writeRecorder(in: directory)
            let recordsPath = directory.file("records.txt")
            func start(_ id: String) throws -> LeaderProcess {
                try processes.start(
                    ["run", "jobs", "--store", directory.store, "--ttl", "\(Self.ttlSeconds)", "--id", id, "--grace", "5", "--", recorder],
                    label: id,
                    environment: ["RECORDS": recordsPath]
                )
            }
            let first = try start("a")
            let firstStarted = try await first.waitForLine("started line") { $0.event == "started" }
            let second = try start("b")
            try await StatusProbe.waitForCandidates(2, election: "jobs", store: directory.store)
            // Let the first command write a while.
            while try Self.records(recordsPath).count < 5 { try await Task.sleep(for: .milliseconds(20)) }

            let stopSent = MonotonicClock.now()
            first.send(SIGSTOP)  // the `leader run` process only: its supervisor must act alone
            let secondStarted = try await second.waitForLine("started line", timeout: .seconds(30)) { $0.event == "started" }
            let secondToken = try #require(secondStarted.token)
            while try !Self.records(recordsPath).contains(where: { $0.token == secondToken }) {
                try await Task.sleep(for: .milliseconds(20))
            }
            #expect(
                !Self.isAlive(try #require(firstStarted.fields["pid"].flatMap { pid_t($0) })), "the paused leader's command must be gone")
            first.send(SIGCONT)
            let stopped = try await first.waitForLine("stopped line") { $0.event == "stopped" }
            #expect(stopped.fields["cause"] == "deadline", "the supervisor, not the paused parent, must have stopped it: \(stopped)")
            let lost = try await first.waitForLine("lost line") { $0.event == "lost" }
            // Let the second command write a few more records, then end both.
            let count = try Self.records(recordsPath).count
            while try Self.records(recordsPath).count < count + 5 { try await Task.sleep(for: .milliseconds(20)) }
            first.send(SIGINT)
            second.send(SIGINT)
            #expect(try await first.waitForExit() == 0)
            #expect(try await second.waitForExit() == 0)

            // In file order (appends are atomic and ordered), each token's records form one block,
            // and blocks come in token order: the old command never wrote after the new one began.
            let records = try Self.records(recordsPath)
            var blocks: [(token: Int64, count: Int, last: Double)] = []
            for record in records {
                if blocks.last?.token == record.token {
                    blocks[blocks.count - 1].count += 1
                    blocks[blocks.count - 1].last = record.uptime
                } else {
                    blocks.append((record.token, 1, record.uptime))
                }
            }
            let tokens = blocks.map(\.token)
            #expect(
                tokens == tokens.sorted() && Set(tokens).count == tokens.count, "records of different tokens interleave: blocks \(blocks)")
            if let deadline = lost.deadline, let firstBlock = blocks.first,
                let secondIndex = records.firstIndex(where: { $0.token == secondToken })
            {
                let gap = records[secondIndex].uptime - firstBlock.last
                let afterPause = firstBlock.last - Double(stopSent) / 1e9
                let beforeDeadline = Double(deadline) / 1e9 - firstBlock.last
                print(
                    "figure: paused leader's command wrote for \(String(format: "%.2f", afterPause)) s after the pause, its last record \(String(format: "%.3f", beforeDeadline)) s before the leadership's deadline; the next command's first record came \(String(format: "%.2f", gap)) s after that last record"
                )
                // /proc/uptime has 10 ms resolution; allow one tick. Half the safety margin is 100 ms.
                #expect(
                    firstBlock.last <= Double(deadline) / 1e9 + 0.1 + 0.01,
                    "the old command wrote after its deadline plus half the safety margin")
            }
            for process in [first, second] {
                for started in process.lines where started.event == "started" {
                    if let pid = started.fields["pid"].flatMap({ pid_t($0) }) {
                        #expect(!Self.isAlive(pid), "command \(pid) of \(process.label) still runs after its leader exited")
                    }
                }
            }
        }

        @Test func exitsWithTheCommandsStatus() async throws {
            let directory = try TemporaryDirectory()
            let processes = ProcessSet()
            defer {
                processes.killAll()
                directory.remove()
            }
            let run = try processes.start(
                [
                    "run", "exit-status", "--store", directory.store, "--ttl", "1", "--", "sh", "-c",
                    "test \"$LEADER_TOKEN\" -ge 1 && test \"$LEADER_ELECTION\" = exit-status && test -n \"$LEADER_KEY\" && exit 7",
                ],
                label: "run"
            )
            #expect(try await run.waitForExit() == 7, "stderr: \(run.errorText)")
            let events = run.lines.map(\.event)
            #expect(events.contains("exited") && events.last == "resigned", "events: \(events)")
        }

        @Test func commandGetsOnlyStandardDescriptors() async throws {
            let directory = try TemporaryDirectory()
            let processes = ProcessSet()
            defer {
                processes.killAll()
                directory.remove()
            }
            // `ls` lists its own descriptors: 0, 1, 2 and the directory it reads. Anything more
            // came from `leader` (its store, its protocol pipes) through the supervisor.
            let run = try processes.start(
                [
                    "run", "descriptors", "--store", directory.store, "--ttl", "1", "--", "sh", "-c",
                    "test \"$(ls /proc/self/fd | tr '\\n' ' ')\" = '0 1 2 3 ' || exit 9",
                ],
                label: "run"
            )
            #expect(try await run.waitForExit() == 0, "stderr: \(run.errorText)")
        }

        /// The process IDs whose parent is `pid`.
        static func children(of pid: pid_t) -> [pid_t] {
            let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
            return entries.compactMap { pid_t($0) }.filter { candidate in
                guard let stat = try? String(contentsOfFile: "/proc/\(candidate)/stat", encoding: .utf8),
                    let close = stat.lastIndex(of: ")")
                else { return false }
                let fields = stat[stat.index(after: close)...].split(separator: " ")
                return fields.count > 1 && pid_t(fields[1]) == pid
            }
        }

        @Test func stoppedSupervisorIsBackedUpByTheParent() async throws {
            let directory = try TemporaryDirectory()
            let processes = ProcessSet()
            defer {
                processes.killAll()
                directory.remove()
            }
            let run = try processes.start(
                ["run", "backstop", "--store", directory.store, "--ttl", "2", "--", "sleep", "600"], label: "run")
            let started = try await run.waitForLine("started line") { $0.event == "started" }
            let elected = try #require(run.lines.first { $0.event == "elected" })
            let child = try #require(started.fields["pid"].flatMap { pid_t($0) })
            let supervisor = try #require(Self.children(of: run.pid).first)
            kill(supervisor, SIGSTOP)
            defer { kill(supervisor, SIGKILL) }
            run.send(SIGINT)
            // The child must be gone by the deadline plus half the safety margin (100 ms), plus slack.
            let deadline = try #require(elected.deadline)
            while Self.isRunning(child), MonotonicClock.now() < deadline + 2_000_000_000 {
                try await Task.sleep(for: .milliseconds(5))
            }
            let gone = MonotonicClock.now()
            #expect(!Self.isRunning(child), "the command outlived its stopped supervisor")
            print(
                "figure: with its supervisor stopped, the command was gone \(Double(gone - deadline) / 1e6) ms after the leadership's deadline (backstop at +120 ms)"
            )
            let exit = try await run.waitForExit()
            #expect(exit == 1 && run.errorText.contains("supervisor"), "exit \(exit): \(run.errorText)")
        }

        @Test func killedParentsCommandIsStopped() async throws {
            let directory = try TemporaryDirectory()
            let processes = ProcessSet()
            defer {
                processes.killAll()
                directory.remove()
            }
            let recorder = try Self.writeRecorder(in: directory)
            let run = try processes.start(
                ["run", "orphan", "--store", directory.store, "--ttl", "2", "--grace", "1", "--", recorder],
                label: "run",
                environment: ["RECORDS": directory.file("records.txt")]
            )
            let started = try await run.waitForLine("started line") { $0.event == "started" }
            let pid = try #require(started.fields["pid"].flatMap { pid_t($0) })
            run.send(SIGKILL)
            try await run.waitForExit()
            let end = ContinuousClock.now + .seconds(10)
            while Self.isAlive(pid), ContinuousClock.now < end { try await Task.sleep(for: .milliseconds(10)) }
            #expect(!Self.isAlive(pid), "the command outlived its killed leader by 10 s")
        }
    }
}
