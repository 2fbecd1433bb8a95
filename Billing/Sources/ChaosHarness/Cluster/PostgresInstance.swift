import ChildProcesses
import Foundation

/// A PostgreSQL server from Debian's packages, in a directory of the run, that the harness can
/// SIGKILL (the postmaster and all its backends at once) and start again on the same data.
///
/// Runs as the `postgres` user when the harness is root (PostgreSQL refuses root). `fsync` is off
/// (a killed process loses nothing the kernel has; only a machine crash would), but commits stay
/// synchronous, so that every commit a node was told about survives a SIGKILL.
final class PostgresInstance: Sendable {
    let port: Int
    let process: SupervisedProcess
    private let binDirectory: String
    private let socketDirectory: String
    /// Where the server and the harness's tools run: empty for the host, `ip netns exec NS` for a namespace.
    private let launchPrefix: [String]

    /// - Parameters:
    ///   - name: The process's name in the harness's messages.
    ///   - clock: The server's wall clock, when it runs under libfaketime.
    ///   - port: The port to listen on; a free one when nil.
    ///   - launchPrefix: Runs the server, and the tools that reach it on 127.0.0.1, elsewhere
    ///     (`ip netns exec NS`, for a server in a namespace of its own).
    init(
        name: String = "postgres", directory: String, listenAddresses: [String], port: Int? = nil, launchPrefix: [String] = [],
        clock: FakeClock? = nil
    ) throws {
        self.launchPrefix = launchPrefix
        let candidates = (try? FileManager.default.contentsOfDirectory(atPath: "/usr/lib/postgresql")) ?? []
        guard let version = candidates.compactMap(Int.init).max() else {
            throw HarnessError(
                "no PostgreSQL server under /usr/lib/postgresql; install Debian's postgresql package (scripts/install-test-deps.sh does)")
        }
        binDirectory = "/usr/lib/postgresql/\(version)/bin"
        socketDirectory = directory
        self.port = try port ?? FreePort.pick()
        let data = "\(directory)/data"
        let asPostgres = getuid() == 0 ? ["/usr/bin/setpriv", "--reuid=postgres", "--regid=postgres", "--init-groups", "--"] : []
        if getuid() == 0 { try Shell.check(["chown", "postgres:", directory]) }
        try Shell.check(
            asPostgres + ["\(binDirectory)/initdb", "-D", data, "-U", "billing", "--auth=trust", "--encoding=UTF8", "--locale=C.UTF-8"])
        // The nodes connect from their namespaces' addresses, with a password.
        let access = try FileHandle(forWritingTo: URL(fileURLWithPath: "\(data)/pg_hba.conf"))
        access.seekToEndOfFile()
        access.write(Data("host all all 10.213.0.0/16 scram-sha-256\n".utf8))
        try access.close()
        let server = [
            "\(binDirectory)/postgres", "-D", data, "-c", "listen_addresses=\(listenAddresses.joined(separator: ","))",
            "-c", "port=\(self.port)", "-c", "unix_socket_directories=\(directory)", "-c", "fsync=off", "-c", "full_page_writes=off",
            "-c", "max_connections=300",
        ]
        process = SupervisedProcess(
            name: name,
            arguments: launchPrefix + asPostgres + (clock?.wrap(server) ?? server),
            environment: ["PATH": "/usr/bin:/bin", "LC_ALL": "C.UTF-8"], logPath: "\(directory)/postgres.log"
        )
    }

    /// Starts the server and waits until it accepts connections.
    func start() async throws {
        try process.start()
        try await waitUntilReady()
    }

    /// Waits until the server accepts connections (after a crash, its recovery may take a moment),
    /// starting it again when it exited meanwhile.
    func waitUntilReady() async throws {
        for _ in 0..<300 {
            if (try? Shell.run(launchPrefix + ["\(binDirectory)/pg_isready", "-q", "-U", "billing", "-h", "127.0.0.1", "-p", String(port)]))?
                .status == 0
            {
                return
            }
            // Right after a SIGKILL, a backend that is still exiting can hold the old shared memory
            // block; the new postmaster then gives up at once ("pre-existing shared memory block is
            // still in use"), and a second start a moment later finds it released.
            if process.reapIfFailed() != nil { try process.start() }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw HarnessError("PostgreSQL did not accept connections within 30 s; see \(process.logPath)")
    }

    /// Creates the `billing` database with a password login.
    func createDatabase() throws {
        try Shell.check(
            launchPrefix + [
                "\(binDirectory)/psql", "-h", "127.0.0.1", "-p", String(port), "-U", "billing", "-d", "postgres", "-q",
                "-c", "ALTER USER billing PASSWORD 'billing'", "-c", "CREATE DATABASE billing",
            ])
    }

    /// Runs `sql` in the `billing` database as one transaction and returns its rows, one per line,
    /// fields separated by tabs (NULL as an empty field).
    @discardableResult
    func query(_ sql: String) throws -> String {
        try Shell.check(
            launchPrefix + [
                "\(binDirectory)/psql", "-h", "127.0.0.1", "-p", String(port), "-U", "billing", "-d", "billing", "-q", "-At", "-F", "\t",
                "-v", "ON_ERROR_STOP=1", "--single-transaction", "-c", sql,
            ])
    }

    /// The URL a client uses at `host` (and `port`, a proxy's, when it is not the server's own).
    func url(host: String, port: Int? = nil) -> String { "postgres://billing:billing@\(host):\(port ?? self.port)/billing" }
}
