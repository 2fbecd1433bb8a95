/// What `GET /cluster` answers: the statuses of the nodes one place knows about.
public struct ClusterStatus: Codable, Sendable {
    /// One status per node that answered.
    public var nodes: [NodeStatus]
    /// Figures the demo adds (nil from a node).
    public var demo: DemoFigures?

    /// Creates a cluster status.
    public init(nodes: [NodeStatus], demo: DemoFigures? = nil) {
        self.nodes = nodes
        self.demo = demo
    }
}

/// The demo's own live figures, shown on its dashboard.
public struct DemoFigures: Codable, Sendable {
    /// Renewals due during the demo.
    public var due: Int
    /// Charges the sandbox applied so far.
    public var applied: Int
    /// Of those, declined.
    public var declined: Int
    /// Each failover's duration in seconds, oldest first.
    public var failoverSeconds: [Double]
    /// Recent chaos events, newest last.
    public var events: [String]

    /// Creates the figures.
    public init(due: Int, applied: Int, declined: Int, failoverSeconds: [Double], events: [String]) {
        self.due = due
        self.applied = applied
        self.declined = declined
        self.failoverSeconds = failoverSeconds
        self.events = events
    }
}
