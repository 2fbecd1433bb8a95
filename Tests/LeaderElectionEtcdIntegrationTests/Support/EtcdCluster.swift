import ChildProcesses
import Foundation
import Glibc
import LeaderElection
import LeaderElectionEtcd
import Logging
import TestSupport

/// Real etcd members on loopback ports, in a temporary directory, started by a test and always
/// killed by it (``with(members:partitionable:tls:authentication:extraArguments:_:)``).
///
/// With `partitionable`, each member runs in a network namespace of its own instead, at an address
/// of its own (see ``PartitionableNetwork``), so that ``isolate(_:)`` can cut it off from the others.
final class EtcdCluster: Sendable {
    /// One member's process and address.
    struct Member: Sendable {
        /// Its position in ``EtcdCluster/members``.
        let index: Int
        let name: String
        /// The address it listens on (clients and peers): 127.0.0.1, or its namespace's address.
        let host: String
        let clientPort: Int
        let peerPort: Int
        let process: TestProcess
        var endpoint: EtcdConfiguration.Endpoint { .init(host: host, port: clientPort) }
        /// `host:clientPort`, for etcdctl.
        var clientAddress: String { "\(host):\(clientPort)" }
    }

    let members: [Member]
    let directory: URL
    /// The certificates when the members serve TLS.
    let certificates: TestCertificates?
    /// The root password when authentication was enabled.
    let rootPassword: String?
    /// The namespaces the members run in, when the cluster was started partitionable.
    let network: PartitionableNetwork?

    private init(members: [Member], directory: URL, certificates: TestCertificates?, rootPassword: String?, network: PartitionableNetwork?)
    {
        self.members = members
        self.directory = directory
        self.certificates = certificates
        self.rootPassword = rootPassword
        self.network = network
    }

    /// `etcd://127.0.0.1:P1,127.0.0.1:P2,...` (`etcds://` with TLS).
    var url: String { (certificates == nil ? "etcd://" : "etcds://") + members.map(\.clientAddress).joined(separator: ",") }

    /// What etcdctl needs besides --endpoints: certificates and the root user.
    var etcdctlSecurity: [String] {
        etcdctlTLS + (rootPassword.map { ["--user", "root:\($0)"] } ?? [])
    }

    /// The certificate flags of etcdctl, when the members serve TLS.
    var etcdctlTLS: [String] {
        certificates.map { ["--cacert", $0.ca, "--cert", $0.clientCertificate, "--key", $0.clientKey] } ?? []
    }
    /// The `--endpoints` value for etcdctl.
    var endpointsArgument: String { members.map(\.clientAddress).joined(separator: ",") }

    /// A configuration that reaches `members` (every member by default), without credentials.
    func configuration(of members: [Member]? = nil) -> EtcdConfiguration {
        var configuration = EtcdConfiguration(endpoints: (members ?? self.members).map(\.endpoint))
        if let certificates {
            configuration.tls = .init(
                caFile: certificates.ca, certificateFile: certificates.clientCertificate, keyFile: certificates.clientKey)
        }
        return configuration
    }

    /// Starts `count` members, waits until the cluster serves requests, runs `body`, kills them.
    /// - Parameters:
    ///   - partitionable: Run each member in a network namespace of its own (needs root; see
    ///     ``PartitionableNetwork``); the namespaces are removed afterwards, also on failure.
    ///   - tls: Serve clients over TLS, requiring client certificates (not with `partitionable`:
    ///     the test certificates name 127.0.0.1 only).
    ///   - authentication: Enable authentication with a root user (password in ``rootPassword``).
    ///   - extraArguments: More etcd flags for every member.
    static func with<T: Sendable>(
        members count: Int,
        partitionable: Bool = false,
        tls: Bool = false,
        authentication: Bool = false,
        extraArguments: [String] = [],
        _ body: (EtcdCluster) async throws -> T
    ) async throws -> T {
        guard let etcd = EtcdBinaries.etcd else { throw TestFailure(EtcdBinaries.missing) }
        guard !(partitionable && tls) else {
            throw TestFailure("a partitionable cluster cannot serve TLS: the test certificates name 127.0.0.1 only")
        }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("etcd-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let ports = try FreePort.pick(2 * count)
        let names = (0..<count).map { "m\($0)" }
        var network: PartitionableNetwork?
        if partitionable {
            network = try PartitionableNetwork.make(nodes: 0...(count - 1), naming: .etcd)
        }
        let hosts = (0..<count).map { network?.address(of: $0) ?? "127.0.0.1" }
        let initialCluster = (0..<count).map { "\(names[$0])=http://\(hosts[$0]):\(ports[2 * $0 + 1])" }.joined(separator: ",")
        let token = "test-\(UUID().uuidString.prefix(8))"
        let certificates: TestCertificates?
        do {
            certificates = tls ? try await TestCertificates.make(in: directory.path) : nil
        } catch {
            network?.tearDown()
            throw error
        }
        let clientScheme = tls ? "https" : "http"
        var security: [String] = []
        if let certificates {
            security = [
                "--cert-file", certificates.serverCertificate, "--key-file", certificates.serverKey,
                "--trusted-ca-file", certificates.ca, "--client-cert-auth",
            ]
        }
        var members: [Member] = []
        do {
            for index in 0..<count {
                let client = ports[2 * index]
                let peer = ports[2 * index + 1]
                let host = hosts[index]
                var command =
                    [
                        etcd,
                        "--name", names[index],
                        "--data-dir", directory.appendingPathComponent(names[index]).path,
                        "--listen-client-urls", "\(clientScheme)://\(host):\(client)",
                        "--advertise-client-urls", "\(clientScheme)://\(host):\(client)",
                        "--listen-peer-urls", "http://\(host):\(peer)",
                        "--initial-advertise-peer-urls", "http://\(host):\(peer)",
                        "--initial-cluster", initialCluster,
                        "--initial-cluster-token", token,
                        "--initial-cluster-state", "new",
                        "--logger", "zap", "--log-level", "warn",
                    ] + security + extraArguments
                if let network { command = network.command(for: index, command) }
                let process = try TestProcess.start(
                    command[0],
                    Array(command.dropFirst()),
                    output: directory.appendingPathComponent("\(names[index]).log").path
                )
                members.append(Member(index: index, name: names[index], host: host, clientPort: client, peerPort: peer, process: process))
            }
        } catch {
            for member in members { member.process.kill() }
            network?.tearDown()
            throw error
        }
        let cluster = EtcdCluster(
            members: members,
            directory: directory,
            certificates: certificates,
            rootPassword: authentication ? "root-secret" : nil,
            network: network
        )
        do {
            try await cluster.waitUntilHealthy(cluster.members)
            if authentication { try await cluster.enableAuthentication() }
            let result = try await body(cluster)
            cluster.stop()
            return result
        } catch {
            cluster.stop()
            throw error
        }
    }

    /// Kills every member (resuming paused ones first) and removes the data and the namespaces.
    func stop() {
        for member in members {
            member.process.signal(SIGCONT)
            member.process.kill()
        }
        try? FileManager.default.removeItem(at: directory)
        network?.tearDown()
    }

    /// Cuts `member` off from the other members' peer traffic (see
    /// ``PartitionableNetwork/isolate(_:)``); clients still reach it.
    func isolate(_ member: Member) throws {
        guard let network else { throw TestFailure("the cluster was not started partitionable") }
        try network.isolate(member.index)
    }

    /// Undoes ``isolate(_:)``.
    func heal(_ member: Member) throws {
        guard let network else { throw TestFailure("the cluster was not started partitionable") }
        try network.heal(member.index)
    }

    /// Waits until every member in `members` answers a linearizable read (60 s at most).
    func waitUntilHealthy(_ members: [Member]) async throws {
        let clock = ContinuousClock()
        let deadline = clock.now + .seconds(60)
        for member in members {
            while true {
                let result = try await TestProcess.run(
                    EtcdBinaries.etcdctl ?? "etcdctl",
                    ["--endpoints", member.clientAddress, "--command-timeout", "2s"] + etcdctlTLS + ["endpoint", "health"]
                )
                if result.status == 0 { break }
                guard clock.now < deadline else {
                    throw TestFailure("etcd member \(member.name) did not become healthy within 60 s: \(result.output)")
                }
                try await Task.sleep(for: .milliseconds(100))
            }
        }
    }

    /// Adds the root user and enables authentication (etcdctl then needs ``etcdctlSecurity``).
    private func enableAuthentication() async throws {
        let etcdctl = EtcdBinaries.etcdctl ?? "etcdctl"
        let base = ["--endpoints", endpointsArgument] + etcdctlTLS
        for arguments in [["user", "add", "root:root-secret"], ["auth", "enable"]] {
            let result = try await TestProcess.run(etcdctl, base + arguments)
            guard result.status == 0 else { throw TestFailure("etcdctl \(arguments.joined(separator: " ")) failed: \(result.output)") }
        }
    }

    /// The member that is the Raft leader now.
    func raftLeader() async throws -> Member {
        for member in members where member.process.isRunning {
            let result = try await TestProcess.run(
                EtcdBinaries.etcdctl ?? "etcdctl",
                ["--endpoints", member.clientAddress] + etcdctlSecurity + ["endpoint", "status", "--write-out", "fields"]
            )
            // Fields output has lines like "MemberID" : 123 and "Leader" : 123.
            var memberID: String?
            var leaderID: String?
            for line in result.output.split(separator: "\n") {
                let parts = line.split(separator: ":", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
                guard parts.count == 2 else { continue }
                if parts[0] == "\"MemberID\"" { memberID = parts[1] }
                if parts[0] == "\"Leader\"" { leaderID = parts[1] }
            }
            if let memberID, memberID == leaderID { return member }
        }
        throw TestFailure("no etcd member reports itself as the Raft leader")
    }
}
