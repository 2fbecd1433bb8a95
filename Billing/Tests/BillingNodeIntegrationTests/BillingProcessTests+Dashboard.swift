import ChildProcesses
import Foundation
import Glibc
import Testing

/// The dashboard in a real headless Chromium (Debian's `chromium` and `chromium-driver`, driven by
/// Selenium from `scripts/check-dashboard.py`; `scripts/install-test-deps.sh` installs them). Part
/// of the serialized process suite, so that it never runs beside the demo test.
extension BillingProcessTests {
    @Test("the dashboard in headless Chromium shows the leader /status reports and follows a failover")
    func followsFailover() async throws {
        var root = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { root = root.deletingLastPathComponent() }
        let script = root.appendingPathComponent("scripts/check-dashboard.py").path
        let directory = NSTemporaryDirectory() + "billing-dashboard-test-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let port = try FreePort.pick()
        let demo = try NodeProcess.spawnProcess(
            arguments: [
                "demo", "--duration", "60", "--nodes", "3", "--subscriptions", "2000", "--no-chaos", "--dashboard-port", String(port),
            ],
            environment: [:], logPath: directory + "/demo.log"
        )
        defer {
            demo.signal(SIGKILL)
            _ = try? demo.waitUntilExit()
        }
        let dashboard = "http://127.0.0.1:\(port)/"
        let up = await eventually(timeout: .seconds(90)) {
            await HTTP.request(dashboard + "cluster")?.body.contains("\"role\":\"leader\"") == true ? true : nil
        }
        guard up != nil else {
            Issue.record("the demo's dashboard never showed a leader; log in \(directory)/demo.log")
            return
        }

        // The python3 on PATH, where scripts/install-test-deps.sh installed Selenium.
        var arguments = ["python3", script, dashboard]
        if let screenshot = ProcessInfo.processInfo.environment["BILLING_DASHBOARD_SCREENSHOT"] { arguments.append(screenshot) }
        let check = try NodeProcess.spawnProcess(executable: "/usr/bin/env", arguments: arguments, logPath: directory + "/check.log")
        let status = await NodeProcess.waitForExit(check, timeout: .seconds(180))
        let output = (try? String(contentsOfFile: directory + "/check.log", encoding: .utf8)) ?? ""
        let errors = (try? String(contentsOfFile: directory + "/check.log.err", encoding: .utf8)) ?? ""
        #expect(
            status == 0,
            "check-dashboard.py exited \(String(describing: status)): \(output) \(errors.suffix(2000)) (install the browser with scripts/install-test-deps.sh)"
        )
        #expect(output.contains("\"ok\": true"))
    }
}
