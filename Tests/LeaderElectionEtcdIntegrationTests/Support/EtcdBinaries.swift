import Foundation

/// Where Debian's `etcd-server` and `etcd-client` put `etcd` and `etcdctl`.
enum EtcdBinaries {
    /// The directories searched: `$ETCD_BIN_DIR`, then `$PATH`, then the usual system ones.
    static var searchPath: [String] {
        let environment = ProcessInfo.processInfo.environment
        var directories: [String] = []
        if let override = environment["ETCD_BIN_DIR"] { directories.append(override) }
        directories += (environment["PATH"] ?? "").split(separator: ":").map(String.init)
        directories += ["/usr/bin", "/usr/local/bin", "/usr/sbin", "/bin"]
        return directories
    }

    /// The path of `name`, or nil.
    static func find(_ name: String) -> String? {
        searchPath.map { "\($0)/\(name)" }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// The `etcd` server binary.
    static var etcd: String? { find("etcd") }
    /// The `etcdctl` client binary.
    static var etcdctl: String? { find("etcdctl") }

    /// Whether both are installed; tests that need them are skipped otherwise.
    static var available: Bool { etcd != nil && etcdctl != nil }

    /// The skip message.
    static let missing = "etcd is not installed: apt-get install -y etcd-server etcd-client (.ci/run does)"
}
