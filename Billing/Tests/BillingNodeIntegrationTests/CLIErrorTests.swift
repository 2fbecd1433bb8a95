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
        let process = try NodeProcess.spawnProcess(arguments: arguments, environment: environment, logPath: log)
        let status = await NodeProcess.waitForExit(process, timeout: .seconds(60))
        return (status, (try? String(contentsOfFile: log + ".err", encoding: .utf8)) ?? "")
    }

    @Test("an unknown coordination store, a missing flag, a missing API key, an unknown database")
    func badInput() async throws {
        let base = ["node", "--id", "n1", "--provider-url", "http://127.0.0.1:9"]
        // Files of this run only: a database left in a shared path by another build (another
        // schema version) would change the answer.
        let directory = NSTemporaryDirectory() + "billing-cli-stores-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let (election, database) = ("sqlite:\(directory)/e.sqlite", "sqlite:\(directory)/x.sqlite")
        let cases: [([String], [String: String], String)] = [
            (
                base + ["--coordination", "zk:x", "--database", database], ["STRIPE_API_KEY": "k"],
                "error: --coordination: unknown store 'zk:x'"
            ),
            (
                ["node", "--coordination", election], ["BILLING_NODE_ID": ""],
                "error: missing --id: pass --id node-1 or set BILLING_NODE_ID"
            ),
            (
                base + ["--coordination", election, "--database", database],
                ["STRIPE_API_KEY": "", "STRIPE_API_KEY_FILE": ""], "error: stripe provider: STRIPE_API_KEY is not set"
            ),
            (
                base + ["--coordination", election, "--database", "mysql://x"], ["STRIPE_API_KEY": "k"],
                "error: --database: billing store URL 'mysql://x' names no known database"
            ),
            (
                base + ["--coordination", election, "--database", database, "--dunning", "1d,3x"], ["STRIPE_API_KEY": "k"],
                "error: --dunning: dunning offset '3x' in '1d,3x' is not a positive number with a unit (s, m, h or d); write for example 1d,3d,5d,7d, or none"
            ),
            (
                base + ["--coordination", "sqlite:/nonexistent-dir/e.sqlite", "--database", database],
                ["STRIPE_API_KEY": "k"],
                "error: coordination store sqlite:/nonexistent-dir/e.sqlite: cannot open or create the election store /nonexistent-dir/e.sqlite: "
                    + "the directory /nonexistent-dir does not exist; create it (mkdir -p '/nonexistent-dir')"
            ),
        ]
        for (arguments, environment, expected) in cases {
            try await expectOneErrorLine(arguments, environment: environment, expected)
        }
    }

    @Test("a config file gives settings beneath the environment, and a bad line is named")
    func configFile() async throws {
        let directory = NSTemporaryDirectory() + "billing-config-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let good = directory + "/node.conf"
        // Everything but the database: the error names the first setting missing from both.
        try """
        # one replica
        BILLING_NODE_ID = from-file
        BILLING_COORDINATION=sqlite:\(directory)/election.sqlite
        BILLING_PROVIDER_URL=http://127.0.0.1:9
        """.write(toFile: good, atomically: true, encoding: .utf8)
        try await expectOneErrorLine(
            ["node", "--config", good], environment: ["STRIPE_API_KEY": "k"], "error: missing --database: pass --database")
        try await expectOneErrorLine(
            ["node"], environment: ["BILLING_CONFIG": good, "BILLING_DATABASE": "mysql://x", "STRIPE_API_KEY": "k"],
            "error: --database: billing store URL 'mysql://x' names no known database"
        )
        let secret = directory + "/secret.conf"
        try "BILLING_NODE_ID=n1\nSTRIPE_API_KEY=sk_live_x\n".write(toFile: secret, atomically: true, encoding: .utf8)
        try await expectOneErrorLine(
            ["node", "--config", secret], "error: config file '\(secret)' line 2: 'STRIPE_API_KEY' is not a BILLING_* setting")
        try await expectOneErrorLine(
            ["node", "--config", directory + "/missing.conf"], "error: cannot read the config file '\(directory)/missing.conf'")
    }

    private func expectOneErrorLine(
        _ arguments: [String], environment: [String: String] = [:], _ expected: String, sourceLocation: SourceLocation = #_sourceLocation
    ) async throws {
        let (status, stderr) = try await run(arguments, environment: environment)
        #expect(status == 1, "\(arguments): exit \(String(describing: status))", sourceLocation: sourceLocation)
        #expect(stderr.hasPrefix(expected), "\(arguments): \(stderr)", sourceLocation: sourceLocation)
        #expect(stderr.split(separator: "\n").count == 1, "\(arguments): more than one line: \(stderr)", sourceLocation: sourceLocation)
    }
}
