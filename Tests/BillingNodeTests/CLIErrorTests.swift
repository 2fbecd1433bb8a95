import Foundation
import Testing

/// Bad input ends `billing` with exit 1 and one `error:` line that says what to do.
@Suite("billing command-line errors")
struct CLIErrorTests {
    private func run(_ arguments: [String], environment: [String: String] = [:]) async throws -> (status: Int32?, stderr: String) {
        let directory = NSTemporaryDirectory() + "billing-cli-errors-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let log = directory + "/out.log"
        let pid = try NodeProcess.spawnProcess(arguments: arguments, environment: environment, logPath: log)
        let status = await NodeProcess.waitForExit(pid, timeout: .seconds(60))
        return (status, (try? String(contentsOfFile: log + ".err", encoding: .utf8)) ?? "")
    }

    @Test("an unknown coordination store, a missing flag, a missing API key, an unknown database")
    func badInput() async throws {
        let base = ["node", "--id", "n1", "--provider-url", "http://127.0.0.1:9"]
        let cases: [([String], [String: String], String)] = [
            (base + ["--coordination", "zk:x", "--database", "sqlite:/tmp/x.sqlite"], ["STRIPE_API_KEY": "k"], "error: --coordination: unknown store 'zk:x'"),
            (["node", "--coordination", "sqlite:/tmp/e.sqlite"], ["BILLING_NODE_ID": ""], "error: missing --id: pass --id node-1 or set BILLING_NODE_ID"),
            (base + ["--coordination", "sqlite:/tmp/e.sqlite", "--database", "sqlite:/tmp/x.sqlite"], ["STRIPE_API_KEY": "", "STRIPE_API_KEY_FILE": ""], "error: stripe provider: STRIPE_API_KEY is not set"),
            (base + ["--coordination", "sqlite:/tmp/e.sqlite", "--database", "mysql://x"], ["STRIPE_API_KEY": "k"], "error: --database: billing store URL 'mysql://x' names no known database"),
            (base + ["--coordination", "sqlite:/nonexistent-dir/e.sqlite", "--database", "sqlite:/tmp/x.sqlite"], ["STRIPE_API_KEY": "k"], "error: the directory '/nonexistent-dir'"),
        ]
        for (arguments, environment, expected) in cases {
            let (status, stderr) = try await run(arguments, environment: environment)
            #expect(status == 1, "\(arguments): exit \(String(describing: status))")
            #expect(stderr.hasPrefix(expected), "\(arguments): \(stderr)")
            #expect(stderr.split(separator: "\n").count == 1, "\(arguments): more than one line: \(stderr)")
        }
    }
}
