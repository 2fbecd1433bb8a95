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
            let (status, text) = try await runPython([script.path, url])
            print(text, terminator: "")
            #expect(status == 0, "\(text)")
            #expect(text.contains(": ok"))
            #expect(server.ledger().count == 4)
        }
    }
}
