/// One fault the harness injected: what, on whom, when, and whether it was confirmed.
struct FaultRecord: Codable, Sendable {
    var kind: FaultKind
    /// The node, member or service hit.
    var target: String
    /// When the fault began (real milliseconds since 1970).
    var startMs: Int64
    /// When the harness saw it take effect; nil when it never did.
    var confirmedMs: Int64?
    /// When the harness healed it (restart, SIGCONT, route removed, rates reset).
    var endMs: Int64
    /// The leader's token when the fault began, for leader faults.
    var leaderTokenBefore: Int64?
    /// What happened, for the report.
    var detail: String

    var confirmed: Bool { confirmedMs != nil }
}
