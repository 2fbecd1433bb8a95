import LeaderElection

/// Where an ``SQLiteBackend`` keeps its store and how it waits for other processes.
public struct SQLiteConfiguration: Sendable, Hashable {
    /// The store file, created (but not its directory) when it does not exist. Every process of
    /// the host that takes part must use the same file.
    public var path: String

    /// How often a waiting candidate or a leader watcher re-reads the file to notice changes
    /// made by other processes. Default: 20 ms. Changes made through the same backend
    /// instance are noticed at once.
    public var pollInterval: Duration

    /// How long an operation keeps retrying while another process holds the file's write
    /// lock before it fails with `ElectionError.Code.storeUnavailable`. Default: 5 s.
    public var busyTimeout: Duration

    /// Creates a configuration; every parameter but `path` has the default documented on its
    /// property.
    public init(path: String, pollInterval: Duration = .milliseconds(20), busyTimeout: Duration = .seconds(5)) {
        self.path = path
        self.pollInterval = pollInterval
        self.busyTimeout = busyTimeout
    }

    /// Throws `ElectionError.Code.invalidConfiguration` unless the path is not empty and both
    /// durations are positive.
    func validate() throws(ElectionError) {
        guard !path.isEmpty else {
            throw .invalidConfiguration(
                "SQLiteConfiguration.path is empty; pass the path of the store file, for example /var/lib/leader/election.db")
        }
        guard pollInterval > .zero else {
            throw .invalidConfiguration("SQLiteConfiguration.pollInterval must be positive, got \(pollInterval)")
        }
        guard busyTimeout > .zero else {
            throw .invalidConfiguration("SQLiteConfiguration.busyTimeout must be positive, got \(busyTimeout)")
        }
    }
}
