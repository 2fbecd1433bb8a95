import Foundation
import TestSupport

extension EtcdCluster {
    /// Runs etcdctl against every member (with the cluster's TLS and root user); returns its output.
    @discardableResult
    func etcdctl(_ arguments: [String]) async throws -> String {
        let result = try await TestProcess.run(
            EtcdBinaries.etcdctl ?? "etcdctl",
            ["--endpoints", endpointsArgument, "--command-timeout", "10s"] + etcdctlSecurity + arguments
        )
        guard result.status == 0 else {
            throw TestFailure("etcdctl \(arguments.joined(separator: " ")) failed (\(result.status)): \(result.output)")
        }
        return result.output
    }

    /// Puts `key` (outside every election) and returns the revision of the write.
    @discardableResult
    func put(_ key: String, _ value: String) async throws -> Int64 {
        let output = try await etcdctl(["put", key, value, "--write-out", "json"])
        guard let match = output.firstMatch(of: /"revision":(\d+)/), let revision = Int64(match.1) else {
            throw TestFailure("no revision in the output of etcdctl put: \(output)")
        }
        return revision
    }

    /// Compacts the key-value history up to `revision` (waiting until the compaction is applied).
    func compact(_ revision: Int64) async throws {
        try await etcdctl(["compact", "\(revision)", "--physical"])
    }
}

extension EtcdCluster {
    /// The watchers the members keep open now (etcd's `etcd_debugging_mvcc_watcher_total`), summed
    /// over the running members: tells a test that a client has started to wait on a watch.
    func watchers() async throws -> Int {
        guard let curl = EtcdBinaries.find("curl") else {
            throw TestFailure("curl is needed to read etcd's metrics: apt-get install -y curl")
        }
        var total = 0
        for member in members where member.process.isRunning {
            // Into a file: the metrics are far more than a pipe holds, and TestProcess.run reads
            // the pipe only after the exit.
            let file = directory.appendingPathComponent("metrics-\(member.name).txt").path
            let result = try await TestProcess.run(curl, ["-sf", "-o", file, "http://\(member.clientAddress)/metrics"])
            guard result.status == 0 else { throw TestFailure("cannot read the metrics of \(member.name): \(result.output)") }
            let metrics = try String(contentsOfFile: file, encoding: .utf8)
            for line in metrics.split(separator: "\n") where line.hasPrefix("etcd_debugging_mvcc_watcher_total ") {
                total += Int(Double(line.split(separator: " ").last ?? "") ?? 0)
            }
        }
        return total
    }
}
