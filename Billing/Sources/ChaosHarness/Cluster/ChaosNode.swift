import BillingNode
import ChildProcesses
import Foundation

/// One `billing node` process of the run, in its namespace, with its event log.
final class ChaosNode: Sendable {
    let index: Int
    let id: String
    let process: SupervisedProcess
    let statusURL: String
    let eventLogPath: String
    /// Where the harness arms this node's failpoints (`BILLING_FAILPOINTS_DIR`).
    let failpointDirectory: String
    private let lab: NetworkLab
    /// The node's wall clock, which the clock faults step (nil without libfaketime).
    let clock: FakeClock?

    init(
        index: Int, executable: String, lab: NetworkLab, coordination: String, database: String, sandboxURL: String,
        leaseTTL: Double, directory: String, environment: [String: String]
    ) throws {
        self.index = index
        self.id = "node-\(index)"
        self.lab = lab
        let port = lab.mode == .namespaces ? 8080 : try FreePort.pick()
        statusURL = "http://\(lab.nodeAddress(index)):\(port)/status"
        eventLogPath = "\(directory)/\(id).events.jsonl"
        failpointDirectory = "\(directory)/\(id).failpoints"
        try FileManager.default.createDirectory(atPath: failpointDirectory, withIntermediateDirectories: true)
        let clock = FakeClock.preload == nil ? nil : try FakeClock(file: "\(directory)/\(id).faketime")
        self.clock = clock
        let arguments = [
            executable, "node", "--id", id, "--coordination", coordination, "--database", database,
            "--provider", "stripe", "--provider-url", sandboxURL, "--http-port", String(port), "--listen", lab.nodeListenAddress(index),
            "--lease-ttl", String(leaseTTL), "--rate-limit", "0", "--event-log", eventLogPath, "--parent-pid", String(getpid()),
        ]
        process = SupervisedProcess(
            name: id, arguments: lab.inNodeNamespace(index, clock?.wrap(arguments) ?? arguments),
            environment: environment.merging(["BILLING_FAILPOINTS_DIR": failpointDirectory]) { $1 }, logPath: "\(directory)/\(id).log"
        )
    }

    /// Arms the failpoint `name`: the next renewal that reaches it stops the process.
    func arm(failpoint name: String) throws {
        guard FileManager.default.createFile(atPath: "\(failpointDirectory)/\(name)", contents: nil) else {
            throw HarnessError("cannot arm failpoint \(name) in \(failpointDirectory)")
        }
    }

    /// Disarms the failpoint `name`; false when it had fired already.
    func disarm(failpoint name: String) -> Bool {
        unlink("\(failpointDirectory)/\(name)") == 0
    }

    /// Starts the node (again).
    func start() throws {
        try process.start()
    }

    /// The node's `/status`, or nil when it does not answer (down, paused, partitioned from the harness).
    func status(probe: HTTPProbe) async -> NodeStatus? {
        guard let data = await probe.get(statusURL, timeout: .milliseconds(600)) else { return nil }
        return try? JSONDecoder().decode(NodeStatus.self, from: data)
    }
}
