import Testing

@testable import LeaderElection

@Suite("Term state machine")
struct TermStateMachineTests {
    /// TTL 3 s, renewals every 1 s, margin 300 ms: the leadership window is 2.7 s after a send.
    static let configuration = try! Election.Configuration(
        leaseTTL: .seconds(3),
        renewInterval: .seconds(1),
        safetyMargin: .milliseconds(300),
        retryBackoff: RetryBackoff(initial: .milliseconds(100), maximum: .milliseconds(400))
    )

    enum Event: Sendable, CustomStringConvertible {
        case askRenewal(at: Duration)
        case renewed(sentAt: Duration)
        case renewalFailed(TermStateMachine.Failure, at: Duration)
        case elected(at: Duration)
        case campaignFailed(TermStateMachine.Failure, attempt: Int, at: Duration)
        case resign

        var description: String {
            switch self {
            case .askRenewal(let at): "askRenewal(\(at))"
            case .renewed(let sentAt): "renewed(\(sentAt))"
            case .renewalFailed(let failure, let at): "renewalFailed(\(failure), \(at))"
            case .elected(let at): "elected(\(at))"
            case .campaignFailed(let failure, let attempt, let at): "campaignFailed(\(failure), \(attempt), \(at))"
            case .resign: "resign"
            }
        }
    }

    enum Outcome: Hashable, Sendable {
        case renewal(TermStateMachine.RenewalAction)
        case elected(Bool)
        case retry(Duration?)
        case none
    }

    struct Row: Sendable, CustomStringConvertible {
        var name: String
        var events: [Event]
        var outcomes: [Outcome]
        var phase: TermStateMachine.Phase
        var deadline: Duration
        var description: String { name }
    }

    static let ms = Duration.milliseconds

    static let rows: [Row] = [
        Row(
            name: "a fresh term waits for its first renewal; deadline is grant send time + TTL - margin",
            events: [.askRenewal(at: ms(100))],
            outcomes: [.renewal(.wait(until: ms(1000)))],
            phase: .campaigning, deadline: ms(2700)
        ),
        Row(
            name: "renewal is due after one interval and times out after another",
            events: [.askRenewal(at: ms(1000))],
            outcomes: [.renewal(.renew(sentAt: ms(1000), timeout: ms(2000)))],
            phase: .campaigning, deadline: ms(2700)
        ),
        Row(
            name: "an acknowledged renewal moves the deadline to its send time + window, not its ack time",
            events: [.askRenewal(at: ms(1000)), .renewed(sentAt: ms(1000)), .askRenewal(at: ms(1500))],
            outcomes: [.renewal(.renew(sentAt: ms(1000), timeout: ms(2000))), .none, .renewal(.wait(until: ms(2000)))],
            phase: .campaigning, deadline: ms(3700)
        ),
        Row(
            name: "a late acknowledgement of an old renewal never moves the deadline back",
            events: [.renewed(sentAt: ms(2000)), .renewed(sentAt: ms(1000))],
            outcomes: [.none, .none],
            phase: .campaigning, deadline: ms(4700)
        ),
        Row(
            name: "transient renewal failures back off and are ridden out while the deadline holds",
            events: [
                .renewalFailed(.transient, at: ms(1000)), .askRenewal(at: ms(1050)),
                .renewalFailed(.transient, at: ms(1100)), .askRenewal(at: ms(1200)),
                .askRenewal(at: ms(1300)), .renewed(sentAt: ms(1300)),
            ],
            outcomes: [
                .none, .renewal(.wait(until: ms(1100))), .none, .renewal(.wait(until: ms(1300))),
                .renewal(.renew(sentAt: ms(1300), timeout: ms(2300))), .none,
            ],
            phase: .campaigning, deadline: ms(4000)
        ),
        Row(
            name: "no acknowledgement by the deadline ends the term",
            events: [.renewalFailed(.transient, at: ms(1000)), .askRenewal(at: ms(2700))],
            outcomes: [.none, .renewal(.stop(.deadlinePassed))],
            phase: .ended(.deadlinePassed), deadline: ms(2700)
        ),
        Row(
            name: "the store reporting the lease gone ends the term at once",
            events: [.elected(at: ms(10)), .renewalFailed(.leaseExpired, at: ms(1000)), .askRenewal(at: ms(1001))],
            outcomes: [.elected(true), .none, .renewal(.stop(.leaseExpired))],
            phase: .ended(.leaseExpired), deadline: ms(2700)
        ),
        Row(
            name: "election after the deadline is refused",
            events: [.elected(at: ms(2700))],
            outcomes: [.elected(false)],
            phase: .ended(.deadlinePassed), deadline: ms(2700)
        ),
        Row(
            name: "election after resignation is refused",
            events: [.resign, .elected(at: ms(5))],
            outcomes: [.none, .elected(false)],
            phase: .ended(.resigned), deadline: ms(2700)
        ),
        Row(
            name: "a renewal acknowledged after the term ended does not revive it",
            events: [.resign, .renewed(sentAt: ms(1000)), .askRenewal(at: ms(1001))],
            outcomes: [.none, .none, .renewal(.stop(.resigned))],
            phase: .ended(.resigned), deadline: ms(2700)
        ),
        Row(
            name: "transient campaign failures are retried with growing backoff, capped",
            events: [
                .campaignFailed(.transient, attempt: 1, at: ms(10)), .campaignFailed(.transient, attempt: 2, at: ms(200)),
                .campaignFailed(.transient, attempt: 5, at: ms(500)),
            ],
            outcomes: [.retry(ms(100)), .retry(ms(200)), .retry(ms(400))],
            phase: .campaigning, deadline: ms(2700)
        ),
        Row(
            name: "a campaign whose lease is gone is not retried",
            events: [.campaignFailed(.leaseExpired, attempt: 1, at: ms(10))],
            outcomes: [.retry(nil)],
            phase: .ended(.leaseExpired), deadline: ms(2700)
        ),
        Row(
            name: "a campaign failing past the deadline is not retried",
            events: [.campaignFailed(.transient, attempt: 1, at: ms(2800))],
            outcomes: [.retry(nil)],
            phase: .ended(.deadlinePassed), deadline: ms(2700)
        ),
    ]

    @Test(arguments: rows)
    func table(_ row: Row) {
        var machine = TermStateMachine(configuration: Self.configuration, grantSentAt: .zero)
        var outcomes: [Outcome] = []
        for event in row.events {
            switch event {
            case .askRenewal(let at): outcomes.append(.renewal(machine.nextRenewalAction(now: at)))
            case .renewed(let sentAt):
                machine.renewalSucceeded(sentAt: sentAt)
                outcomes.append(.none)
            case .renewalFailed(let failure, let at):
                machine.renewalFailed(failure, now: at)
                outcomes.append(.none)
            case .elected(let at): outcomes.append(.elected(machine.elected(now: at)))
            case .campaignFailed(let failure, let attempt, let at):
                outcomes.append(.retry(machine.campaignFailed(failure, attempt: attempt, now: at)))
            case .resign:
                machine.end(.resigned)
                outcomes.append(.none)
            }
        }
        #expect(outcomes == row.outcomes)
        #expect(machine.phase == row.phase)
        #expect(machine.deadline == row.deadline)
    }

    @Test func leadingOnlyBeforeTheDeadline() {
        var machine = TermStateMachine(configuration: Self.configuration, grantSentAt: .zero)
        #expect(!machine.isLeading(at: .zero))
        let elected = machine.elected(now: .milliseconds(10))
        #expect(elected)
        #expect(machine.isLeading(at: .milliseconds(2699)))
        #expect(!machine.isLeading(at: .milliseconds(2700)))
    }
}
