import LeaderElection
import Logging
import Synchronization

/// Campaigns again and again, runs a body while leading, and reports every change of this
/// candidate's standing as an event line (see ``EventWriter``):
///
/// - `campaigning name= id=`: a campaign starts (the candidacy is registered soon after).
/// - `elected name= id= key= token= lease= deadline_mono_ns=`: this candidate leads.
/// - `lost name= id= key= token= cause= deadline_mono_ns=`: leadership ended without resigning.
///   A paused process notices only after it resumes, so its leadership truly ended at
///   `min(mono_ns, deadline_mono_ns)`.
/// - `resigned name= id= key= token=`: leadership was given up and the lease revoked, so that
///   the next candidate is elected at once.
struct LeadershipLoop: Sendable {
    /// The candidate.
    let election: Election
    /// Converts the election's deadlines to `mono_ns`.
    let timeline: ElectionTimeline
    /// Where event lines go.
    let events: EventWriter
    /// Diagnostics.
    let logger: Logger

    /// Creates a loop for `election`.
    init(election: Election, events: EventWriter = .standardOutput, logger: Logger) {
        self.election = election
        self.timeline = ElectionTimeline(election: election)
        self.events = events
        self.logger = logger
    }

    /// Campaigns, runs `body` while leading, and campaigns again after each loss.
    ///
    /// Returns the body's result once it returns (leadership is then resigned), or nil when the
    /// task is cancelled (leadership, if held, is resigned first). Errors thrown by the body
    /// end the loop and are rethrown, after leadership is resigned.
    func run<Result: Sendable>(_ body: @escaping @Sendable (Leadership) async throws -> Result) async throws -> Result? {
        var losses = 0
        while !Task.isCancelled {
            events.emit("campaigning", ["name": election.name, "id": election.candidateID])
            let held = HeldLeadership()
            do {
                let result = try await election.withLeadership { leadership in
                    held.set(leadership)
                    emitElected(leadership)
                    do {
                        return try await body(leadership)
                    } catch {
                        held.setFailure(error)
                        throw error
                    }
                }
                if let leadership = held.value { emit("resigned", leadership) }
                return result
            } catch let error as ElectionError where error.code == .leadershipLost {
                let cause = error.lossCause ?? .leaseExpired
                if let leadership = held.value {
                    emit("lost", leadership, cause: cause)
                } else {
                    logger.warning("candidacy ended before it was elected; campaigning again", metadata: ["cause": "\(cause)"])
                }
                losses += 1
                try? await Task.sleep(for: election.configuration.retryBackoff.delay(attempt: losses))
            } catch is CancellationError {
                if let leadership = held.value { emit("resigned", leadership) }
                // When the term is cancelled, the election reports the cancellation, not what the
                // body threw while it ended; a failure of the body (not merely its cancellation) wins.
                if let failure = held.failure, !(failure is CancellationError), !(failure is ElectionError) { throw failure }
                return nil
            } catch {
                // The body failed; `withLeadership` revoked the lease before rethrowing.
                if let leadership = held.value { emit("resigned", leadership) }
                throw error
            }
        }
        return nil
    }

    private func emitElected(_ leadership: Leadership) {
        events.emit(
            "elected",
            [
                "name": leadership.election, "id": leadership.candidateID, "key": leadership.key,
                "token": "\(leadership.token)",
                "deadline_mono_ns": "\(timeline.nanoseconds(leadership.deadline))",
            ]
        )
    }

    private func emit(_ event: String, _ leadership: Leadership, cause: LeadershipLossCause? = nil) {
        let deadline = "\(timeline.nanoseconds(leadership.deadline))"
        if let cause {
            events.emit(
                event,
                [
                    "name": leadership.election, "id": leadership.candidateID, "key": leadership.key,
                    "token": "\(leadership.token)", "cause": cause.rawValue, "deadline_mono_ns": deadline,
                ]
            )
        } else {
            events.emit(
                event,
                ["name": leadership.election, "id": leadership.candidateID, "key": leadership.key, "token": "\(leadership.token)"]
            )
        }
    }
}

/// The leadership of the current term, once elected, and the body's error; shared between the
/// term's body and the loop.
private final class HeldLeadership: Sendable {
    private let stored = Mutex<(leadership: Leadership?, failure: (any Error)?)>((nil, nil))

    var value: Leadership? { stored.withLock { $0.leadership } }

    /// What the body threw, if it threw.
    var failure: (any Error)? { stored.withLock { $0.failure } }

    func set(_ leadership: Leadership) { stored.withLock { $0.leadership = leadership } }

    func setFailure(_ error: any Error) { stored.withLock { $0.failure = error } }
}
