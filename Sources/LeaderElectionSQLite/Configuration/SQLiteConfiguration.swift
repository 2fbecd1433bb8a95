import LeaderElection

extension SQLiteBackend {
    /// How an ``SQLiteBackend`` waits for other processes.
    public struct Configuration: Sendable, Hashable {
        /// How often a waiting candidate or a leader watcher re-reads the file to notice changes
        /// made by other processes. Default: 20 ms. Changes made through the same backend
        /// instance are noticed at once.
        public var pollInterval: Duration

        /// How long an operation keeps retrying while another process holds the file's write
        /// lock before it fails with ``ElectionError/Code/storeUnavailable``. Default: 5 s.
        public var busyTimeout: Duration

        /// Creates a configuration; every parameter has the default documented on its property.
        public init(pollInterval: Duration = .milliseconds(20), busyTimeout: Duration = .seconds(5)) {
            self.pollInterval = pollInterval
            self.busyTimeout = busyTimeout
        }

        /// Throws ``ElectionError/Code/invalidConfiguration`` unless both durations are positive.
        func validate() throws(ElectionError) {
            guard pollInterval > .zero else {
                throw .invalidConfiguration("SQLiteBackend.Configuration.pollInterval must be positive, got \(pollInterval)")
            }
            guard busyTimeout > .zero else {
                throw .invalidConfiguration("SQLiteBackend.Configuration.busyTimeout must be positive, got \(busyTimeout)")
            }
        }
    }
}
