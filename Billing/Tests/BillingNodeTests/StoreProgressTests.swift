import Billing
import Testing

@testable import BillingNode

/// The leader's view of whether the billing database answers (what its stall watchdog reads).
struct StoreProgressTests {
    private let start = ContinuousClock.now

    private func at(_ milliseconds: Int) -> ContinuousClock.Instant { start + .milliseconds(milliseconds) }

    @Test func aWaitingCallStallsUntilTheStoreAnswers() {
        let progress = StoreProgress()
        progress.reset(now: at(0))
        #expect(progress.stall(now: at(500)) == .zero)
        progress.started(now: at(1000))
        #expect(progress.stall(now: at(3000)) == .milliseconds(2000))
        progress.finished(.answered, now: at(3000))
        #expect(progress.stall(now: at(9000)) == .zero)
    }

    @Test func callsThatFailAtOnceForWantOfTheStoreStillCountAsAStall() {
        let progress = StoreProgress()
        progress.reset(now: at(0))
        for millisecond in stride(from: 100, through: 2500, by: 100) {
            progress.started(now: at(millisecond))
            progress.finished(StoreProgress.Outcome(BillingError.storeUnavailable("unreachable")), now: at(millisecond))
        }
        #expect(progress.stall(now: at(2600)) == .milliseconds(2500))
        progress.started(now: at(2700))
        progress.finished(.answered, now: at(2700))
        #expect(progress.stall(now: at(2800)) == .zero)
    }

    @Test func refusalsAreAnswersAndCancellationSaysNothing() {
        let progress = StoreProgress()
        progress.reset(now: at(0))
        progress.started(now: at(100))
        progress.finished(StoreProgress.Outcome(BillingError(code: .staleFencingToken, message: "stale")), now: at(200))
        #expect(progress.stall(now: at(5000)) == .zero)
        progress.started(now: at(300))
        progress.started(now: at(300))
        progress.finished(StoreProgress.Outcome(CancellationError()), now: at(400))
        #expect(progress.stall(now: at(1300)) == .milliseconds(1000))
    }

    @Test func leadingAgainForgetsTheSilenceOfBefore() {
        let progress = StoreProgress()
        progress.reset(now: at(0))
        progress.started(now: at(100))
        progress.finished(.unreachable, now: at(100))
        #expect(progress.stall(now: at(10_000)) == .milliseconds(9_900))
        progress.reset(now: at(10_000))
        #expect(progress.stall(now: at(10_500)) == .zero)
    }
}
