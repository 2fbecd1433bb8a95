/// When the supervisor must stop the command: the decisions of ``Supervisor``, free of IO.
///
/// Times are `CLOCK_BOOTTIME` nanoseconds. The command runs until the leadership's local
/// `deadline`; a stop sends `SIGTERM` at once and `SIGKILL` at ``killAt``. Whatever the cause,
/// `SIGKILL` comes no later than `deadline + lostGrace`: the store cannot expire the lease (and
/// so elect the next leader) before `deadline + safetyMargin`, and `lostGrace` is half of that
/// margin. When leadership is already gone (deadline passed, or `leader run` said `lost`), the
/// grace is also capped at `lostGrace` from now.
struct StopSchedule: Sendable {
    /// How long a command may take to exit after `SIGTERM` in an orderly stop (`--grace`).
    let grace: Int64
    /// The grace when leadership is lost: half the election's safety margin.
    let lostGrace: Int64
    /// The local deadline of the leadership, as last reported.
    private(set) var deadline: Int64
    /// Why the stop began, once it has.
    private(set) var cause: SupervisorProtocol.Cause?
    /// When to send `SIGKILL`, once stopping.
    private(set) var killAt: Int64?

    /// A schedule for a leadership whose deadline is `deadline`.
    init(grace: Int64, lostGrace: Int64, deadline: Int64) {
        self.grace = max(0, grace)
        self.lostGrace = max(0, lostGrace)
        self.deadline = deadline
    }

    /// Whether a stop has begun.
    var isStopping: Bool { cause != nil }

    /// A heartbeat moved the deadline (ignored once stopping, and never moves it back).
    mutating func heartbeat(deadline newDeadline: Int64) {
        guard !isStopping else { return }
        deadline = max(deadline, newDeadline)
    }

    /// Begins (or hastens) a stop at `now`. Returns true when this is the first stop, so `SIGTERM`
    /// is due now.
    mutating func stop(_ cause: SupervisorProtocol.Cause, now: Int64) -> Bool {
        let leadershipGone = cause == .deadline || cause == .lost
        let allowed = leadershipGone ? min(grace, lostGrace) : grace
        let kill = min(now + allowed, deadline + lostGrace)
        if self.cause == nil {
            self.cause = cause
            killAt = kill
            return true
        }
        killAt = min(killAt ?? kill, kill)
        return false
    }

    /// What is due at `now`: a stop because the deadline passed, or `SIGKILL`.
    func due(now: Int64) -> Due {
        if !isStopping { return now >= deadline ? .deadlinePassed : .nothing }
        if let killAt, now >= killAt { return .kill }
        return .nothing
    }

    /// The next instant ``due(now:)`` may change, if any.
    var nextWake: Int64? { isStopping ? killAt : deadline }

    /// What ``due(now:)`` asks for.
    enum Due: Equatable {
        case nothing
        case deadlinePassed
        case kill
    }
}
