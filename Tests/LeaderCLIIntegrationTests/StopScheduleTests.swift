import Testing

@testable import leader

extension LeaderCLITests {
    /// The supervisor's decisions, without processes: when `SIGTERM` and `SIGKILL` are due.
    @Suite struct StopScheduleTests {
        // Times in nanoseconds: deadline at 10 s, grace 5 s, lost grace (half the margin) 250 ms.
        static func schedule() -> StopSchedule {
            StopSchedule(grace: 5_000_000_000, lostGrace: 250_000_000, deadline: 10_000_000_000)
        }

        @Test func runsUntilTheDeadlineAndHeartbeatsMoveItForward() {
            var schedule = Self.schedule()
            #expect(schedule.due(now: 9_999_999_999) == .nothing)
            #expect(schedule.due(now: 10_000_000_000) == .deadlinePassed)
            schedule.heartbeat(deadline: 12_000_000_000)
            #expect(schedule.due(now: 11_000_000_000) == .nothing)
            schedule.heartbeat(deadline: 11_000_000_000)  // never backwards
            #expect(schedule.nextWake == 12_000_000_000)
        }

        @Test func passedDeadlineKillsWithinHalfTheMargin() {
            var schedule = Self.schedule()
            let beganAtDeadline = schedule.stop(.deadline, now: 10_001_000_000)
            #expect(beganAtDeadline)
            #expect(schedule.killAt == 10_250_000_000)
            #expect(schedule.due(now: 10_249_999_999) == .nothing)
            #expect(schedule.due(now: 10_250_000_000) == .kill)
        }

        @Test func orderlyStopGetsTheGraceButNeverPastTheDeadlineCap() {
            var early = Self.schedule()
            let beganEarly = early.stop(.stop, now: 1_000_000_000)
            #expect(beganEarly)
            #expect(early.killAt == 6_000_000_000)  // full grace: 5 s
            var late = Self.schedule()
            let beganLate = late.stop(.stop, now: 8_000_000_000)
            #expect(beganLate)
            #expect(late.killAt == 10_250_000_000)  // capped at deadline + lost grace
            late.heartbeat(deadline: 20_000_000_000)  // ignored once stopping
            #expect(late.killAt == 10_250_000_000)
        }

        @Test func lostHastensARunningStop() {
            var schedule = Self.schedule()
            let beganOrderly = schedule.stop(.stop, now: 1_000_000_000)
            #expect(beganOrderly)
            let beganAgain = schedule.stop(.lost, now: 2_000_000_000)
            #expect(!beganAgain)
            #expect(schedule.killAt == 2_250_000_000)
            #expect(schedule.cause == .stop)
        }

        @Test func protocolLinesRoundTrip() {
            let commands: [SupervisorProtocol.Command] = [.deadline(123_456_789), .stop, .lost]
            for command in commands {
                #expect(SupervisorProtocol.Command(line: command.line.dropLast()) == command)
            }
            let reports: [SupervisorProtocol.Report] = [
                .started(pid: 42), .ended(cause: .deadline, exit: .signaled(15)), .ended(cause: .exited, exit: .exited(3)),
                .ended(cause: .parentGone, exit: nil), .failed(errno: 2),
            ]
            for report in reports {
                #expect(SupervisorProtocol.Report(line: report.line.dropLast()) == report)
            }
            var buffer = Array("deadline 5\nstop\npart".utf8)
            let lines = SupervisorProtocol.takeLines(from: &buffer)
            #expect(lines == ["deadline 5", "stop"])
            #expect(String(decoding: buffer, as: UTF8.self) == "part")
        }
    }
}
