import ChildProcesses
import Foundation
import Glibc
import Testing

/// Real children of the test process (`/bin/sh`, `/usr/bin/env`, `sleep`): where their output
/// goes, what they inherit, and how they are signalled, waited for and reaped.
@Suite struct ChildProcessTests {
    @Test func appendsOutputAndErrorToOneLog() async throws {
        let log = NSTemporaryDirectory() + "child-process-test-\(UUID().uuidString).log"
        defer { try? FileManager.default.removeItem(atPath: log) }
        try "before\n".write(toFile: log, atomically: true, encoding: .utf8)
        let child = try ChildProcess.spawn(
            "/bin/sh", ["-c", "read line || echo eof; echo out; echo err >&2"],
            options: .init(input: .null, output: .append(toFile: log), error: .sameAsOutput)
        )
        #expect(try await child.wait(timeout: .seconds(30)) == .exited(0))
        #expect(try String(contentsOfFile: log, encoding: .utf8) == "before\neof\nout\nerr\n")
    }

    @Test func pipesAreReadToTheEnd() throws {
        let child = try ChildProcess.spawn(
            "/bin/sh", ["-c", "printf 'a\\nb\\n'; echo e >&2; exit 3"], options: .init(output: .pipe, error: .pipe))
        var lines: [String] = []
        PipeReader.readLines(from: try #require(child.outputPipe)) { lines += $0 }
        var error: [UInt8] = []
        PipeReader.readChunks(from: try #require(child.errorPipe)) { error += $0 }
        #expect(lines == ["a", "b"])
        #expect(String(decoding: error, as: UTF8.self) == "e\n")
        #expect(try child.waitUntilExit() == .exited(3))
    }

    @Test func environmentExactlyOrOverridden() throws {
        func variables(_ environment: ChildProcess.Options.Environment) throws -> [String] {
            let child = try ChildProcess.spawn("/usr/bin/env", [], options: .init(output: .pipe, environment: environment))
            var lines: [String] = []
            PipeReader.readLines(from: try #require(child.outputPipe)) { lines += $0 }
            _ = try child.waitUntilExit()
            return lines
        }
        #expect(try variables(.exactly(["ONLY": "1"])) == ["ONLY=1"])
        let overridden = try variables(.inheritOverriding(["PATH": "/nowhere", "ADDED": "2"]))
        #expect(overridden.filter { $0.hasPrefix("PATH=") } == ["PATH=/nowhere"])
        #expect(overridden.contains("ADDED=2"))
    }

    @Test func ownGroupCleanSignalStateAndReaping() async throws {
        let child = try ChildProcess.spawn("/bin/sleep", ["30"], options: .init(processGroup: .newGroup))
        #expect(getpgid(child.pid) == child.pid)
        // No standard signal blocked or ignored, whatever this process's threads block or ignore
        // (glibc's internal signals 32 and 33 are out of reach of posix_spawn).
        let status = try await waitForStatusFile(child.pid)
        #expect(signalSet("SigBlk", in: status).map { $0 & 0x7fff_ffff } == 0)
        #expect(signalSet("SigIgn", in: status).map { $0 & 0x7fff_ffff } == 0)
        #expect(try await child.wait(timeout: .milliseconds(50)) == nil)
        child.signalGroup(SIGKILL)
        var peeked: ProcessExit?
        for _ in 0..<500 where peeked == nil {
            peeked = child.exitWithoutReaping()
            try await Task.sleep(for: .milliseconds(10))
        }
        #expect(peeked == .signaled(SIGKILL))
        #expect(try child.reap() == .signaled(SIGKILL))
        #expect(peeked?.shellStatus == 137)
        #expect(throws: NotAChild.self) { try child.reap() }
    }

    @Test func onlyThePassedDescriptorsReachTheChild() throws {
        // Two pipes whose ends do not close on exec, as SwiftNIO's sockets do not.
        var kept: [Int32] = [-1, -1]
        var passed: [Int32] = [-1, -1]
        #expect(pipe(&kept) == 0 && pipe(&passed) == 0)
        defer { (kept + passed).forEach { _ = close($0) } }
        let child = try ChildProcess.spawn(
            "/bin/sh", ["-c", "ls /proc/self/fd"],
            options: .init(output: .pipe, descriptors: [(source: passed[0], target: Int32(3))])
        )
        var open: [String] = []
        PipeReader.readLines(from: try #require(child.outputPipe)) { open += $0 }
        #expect(try child.waitUntilExit() == .exited(0))
        // 0, 1, 2, the passed descriptor, and the one `ls` opens to read the directory.
        #expect(open.compactMap { Int32($0) }.filter { $0 > 2 } == [3, 4])
    }

    @Test func aMissingProgramIsASpawnError() {
        let error = #expect(throws: SpawnError.self) { try ChildProcess.spawn("/nonexistent/program", []) }
        #expect(error?.code == ENOENT)
    }

    @Test func freePortsAreDistinct() throws {
        let ports = try FreePort.pick(8)
        #expect(Set(ports).count == 8)
        #expect(ports.allSatisfy { $0 > 0 && $0 < 65536 })
    }

    /// /proc/PID/status once the child has exec'd `sleep`.
    private func waitForStatusFile(_ pid: pid_t) async throws -> String {
        for _ in 0..<500 {
            let status = (try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)) ?? ""
            if status.contains("Name:\tsleep") { return status }
            try await Task.sleep(for: .milliseconds(10))
        }
        throw StatusFileMissing()
    }

    private struct StatusFileMissing: Error {}

    /// A signal set of /proc/PID/status (`SigBlk`, `SigIgn`): bit N-1 for signal N.
    private func signalSet(_ field: String, in status: String) -> UInt64? {
        status.split(separator: "\n").first { $0.hasPrefix(field + ":") }
            .flatMap { UInt64($0.dropFirst(field.count + 1).trimmingCharacters(in: .whitespaces), radix: 16) }
    }
}
