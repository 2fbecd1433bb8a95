/// The faults the harness injects. Each is counted only once the harness has confirmed that it
/// took effect (a process reaped or stopped, a connection refused from inside a namespace or a
/// request unanswered through a cut proxy, the sandbox's counters, a node's clock).
enum FaultKind: String, Codable, Sendable, CaseIterable, Comparable {
    /// SIGKILL of the leading node, then a restart once another node leads.
    case leaderKill = "leader-kill"
    /// SIGSTOP of the leading node for 2.5 × TTL, then SIGCONT.
    case leaderPause = "leader-pause"
    /// The leading node stops itself (SIGSTOP at its `before-pending-write` failpoint) with its
    /// leadership checked and a database connection in hand for a pending charge; SIGCONT as soon
    /// as a successor has raised the fence. Only the fence can refuse that write.
    case leaderStopBeforePending = "leader-stop-before-pending"
    /// The leading node stops itself at its `before-provider-call` failpoint, after its last
    /// leadership check before a provider call; SIGCONT as soon as a successor has raised the fence.
    case leaderStopBeforeCall = "leader-stop-before-call"
    /// The leading node stops itself at its `before-outcome-write` failpoint, with a provider's
    /// answer in hand, its leadership checked and a connection for the write; SIGCONT as soon as
    /// a successor has raised the fence. The fence, or the successor having settled the charge
    /// first, refuses that write.
    case leaderStopBeforeOutcome = "leader-stop-before-outcome"
    /// The leading node cut off from every coordination server; it still reaches PostgreSQL and the sandbox.
    case leaderStorePartition = "leader-store-partition"
    /// The leading node cut off from PostgreSQL; it still reaches the coordination store and the sandbox.
    case leaderDatabasePartition = "leader-database-partition"
    /// The leading node's connections to the provider refused at once (an `unreachable` route)
    /// for ``ChaosCluster/providerOutage``: long enough to exhaust the engine's transient retries.
    case leaderProviderRefused = "leader-provider-refused"
    /// The leading node's packets to the provider dropped (a `blackhole` route) for
    /// ``ChaosCluster/providerOutage``.
    case leaderProviderBlackholed = "leader-provider-blackholed"
    /// The sandbox applies charges and drops their answers until one was dropped; then the
    /// leading node's connections to the provider are refused for ``ChaosCluster/providerOutage``,
    /// so that it settles a charge that was applied while it cannot reach the provider.
    case providerLostThenRefused = "provider-lost-then-refused"
    /// The leading node's links to the coordination store and the billing database made slow and
    /// lossy (``LinkImpairment/slowAndLossy``) for 3 × TTL (proxy mode: the proxies delay what
    /// they relay).
    case leaderSlowLinks = "leader-slow-links"
    /// SIGKILL of the coordination store's leading server (etcd's Raft leader, ZooKeeper's
    /// leader, the coordination PostgreSQL), restarted 3 s later.
    case storeLeaderKill = "store-leader-kill"
    /// SIGKILL of a following coordination server, restarted 3 s later (replicated stores).
    case storeFollowerKill = "store-follower-kill"
    /// A coordination server cut off from the other servers and from the nodes for 2 × TTL.
    case storeServerIsolation = "store-server-isolation"
    /// SIGSTOP of a coordination server for 2 × TTL, then SIGCONT.
    case storeServerPause = "store-server-pause"
    /// The coordination server that the leading node's lease lives on (ZooKeeper; a random one
    /// for etcd) cut off from the other servers for 8 s while the nodes still reach it
    /// (replicated stores).
    case storeServerCutFromPeers = "store-server-cut-from-peers"
    /// Two faults at once: the leading node paused (SIGSTOP, 2.5 × TTL) while a coordination
    /// server is cut off from its peers and the nodes.
    case leaderPauseDuringStoreIsolation = "leader-pause-during-store-isolation"
    /// SIGSTOP of the billing database (PostgreSQL) for 2 × TTL, then SIGCONT.
    case databasePause = "database-pause"
    /// The billing database's disk full (its data directory is a small tmpfs, filled to the last
    /// byte) for 3 × TTL, then freed; PostgreSQL is started again if it gave up meanwhile.
    /// Confirmed by a table the server cannot create while it is full, and could before.
    case databaseDiskFull = "database-disk-full"
    /// SIGKILL of every node, every coordination server and PostgreSQL, then a cold start.
    case coldStart = "cold-start"
    /// The sandbox applies charges and drops the responses, for a few seconds.
    case sandboxLostResponse = "sandbox-lost-response"
    /// The sandbox answers 500 before applying, for a few seconds.
    case sandboxServerError = "sandbox-500"
    /// The sandbox holds requests unanswered, for a few seconds.
    case sandboxHang = "sandbox-hang"
    /// The sandbox holds requests past the client's timeout, then applies them, for a few seconds:
    /// charges land after their client gave up on them.
    case sandboxLateApply = "sandbox-late-apply"
    /// The sandbox answers 429 with Retry-After, for a few seconds.
    case sandboxRateLimit = "sandbox-429"
    /// The leading node's wall clock stepped an hour forward or back (libfaketime) for 3 × TTL,
    /// then back; confirmed by the time the node itself reports. Its billing clock (the
    /// database's) then disagrees with it, so it stops charging and steps down.
    case leaderClockStep = "leader-clock-step"
    /// The billing database's wall clock stepped an hour forward or back (libfaketime) for
    /// 3 × TTL, then back; confirmed by the time the server itself reports. No leader may charge
    /// early (or at all) on it meanwhile.
    case databaseClockStep = "database-clock-step"

    /// Faults aimed at the leading node, whose unavailability is measured to the first charge
    /// under a newer token (goal: at most TTL + 3 s).
    var targetsLeader: Bool {
        switch self {
        case .leaderKill, .leaderPause, .leaderStopBeforePending, .leaderStopBeforeCall, .leaderStopBeforeOutcome, .leaderStorePartition,
            .leaderPauseDuringStoreIsolation, .leaderClockStep:
            true
        default: false
        }
    }

    /// How often the seeded schedule picks this fault, relative to the others.
    var weight: Int {
        switch self {
        case .coldStart: 1
        case .leaderProviderRefused, .leaderProviderBlackholed, .providerLostThenRefused, .leaderPauseDuringStoreIsolation: 1
        case .leaderSlowLinks: 2
        case .storeLeaderKill, .storeFollowerKill, .storeServerIsolation, .storeServerPause, .storeServerCutFromPeers, .leaderClockStep,
            .databaseClockStep,
            .leaderDatabasePartition, .leaderStopBeforePending, .leaderStopBeforeCall, .leaderStopBeforeOutcome, .databasePause,
            .databaseDiskFull:
            2
        default: 3
        }
    }

    /// Whether the fault steps a clock (it needs libfaketime).
    var stepsAClock: Bool { self == .leaderClockStep || self == .databaseClockStep }

    /// Whether the fault stops the leader at a failpoint of the PostgreSQL billing store, with a
    /// connection in hand.
    var stopsHoldingAConnection: Bool { self == .leaderStopBeforePending || self == .leaderStopBeforeOutcome }

    /// Whether the fault needs a billing database server (the SQLite tier has a file).
    var needsDatabaseServer: Bool {
        self == .leaderDatabasePartition || self == .databasePause || self == .databaseClockStep || self == .databaseDiskFull
    }

    /// Whether the fault needs coordination servers (the SQLite tier has a file).
    var needsStoreServer: Bool {
        switch self {
        case .storeLeaderKill, .storeFollowerKill, .storeServerIsolation, .storeServerPause, .storeServerCutFromPeers,
            .leaderPauseDuringStoreIsolation, .leaderStorePartition:
            true
        default: false
        }
    }

    /// Whether the fault needs a store of several servers.
    var needsReplicatedStore: Bool { self == .storeFollowerKill || self == .storeServerCutFromPeers }

    static func < (lhs: FaultKind, rhs: FaultKind) -> Bool { lhs.rawValue < rhs.rawValue }
}
