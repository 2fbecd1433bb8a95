import Foundation
import Testing

@Suite("Stripe's official Python library against the sandbox")
struct StripePythonTests {
    /// Runs in CI always (`.ci/run` installs the library); elsewhere only when it is installed
    /// (`pip install stripe`).
    @Test(
        "create with confirm/off_session and a key, replay, retrieve, CardError with decline code, IdempotencyError",
        .enabled(if: stripePythonInstalled || ProcessInfo.processInfo.environment["CI"] != nil, "pip install stripe to run this check")
    )
    func officialPythonLibrary() async throws {
        let script = URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("scripts/check-stripe-python.py")
        try await withSandbox { server, url in
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = ["python3", script.path, url]
            let output = Pipe()
            process.standardOutput = output
            process.standardError = output
            try process.run()
            // The script prints a few lines, far less than a pipe holds, so reading after it
            // exits cannot deadlock; polling (not waitUntilExit) keeps this task off a blocked thread.
            while process.isRunning { try await Task.sleep(for: .milliseconds(20)) }
            let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            print(text, terminator: "")
            #expect(process.terminationStatus == 0, "\(text)")
            #expect(text.contains(": ok"))
            #expect(server.ledger().count == 4)
        }
    }
}
