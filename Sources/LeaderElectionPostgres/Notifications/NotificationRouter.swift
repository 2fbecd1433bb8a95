import LeaderElection
import Synchronization

/// Hands the election notifications of the listening connection to the local waiters that asked
/// for them, so that a change wakes only the waiters it concerns.
///
/// Topics: an election's name (every change of the election: observers) and a candidacy
/// (`token` + election: its deletion, for the candidate waiting behind it and for itself).
final class NotificationRouter: Sendable {
    /// A waiter's registration: a signal that is bumped for each of its topics.
    struct Subscription: Sendable {
        let id: UInt64
        let signal: ChangeSignal
    }

    private struct State {
        var nextID: UInt64 = 0
        var topics: [String: [UInt64: ChangeSignal]] = [:]
        var all: [UInt64: ChangeSignal] = [:]
    }

    private let state = Mutex(State())

    /// The topic of every change in `election`.
    static func electionTopic(_ election: String) -> String { "e\u{0}" + election }

    /// The topic of the candidacy with `token` in `election`.
    static func candidacyTopic(_ election: String, token: Int64) -> String { "c\u{0}\(token)\u{0}" + election }

    /// Registers a new signal with no topics yet.
    func subscribe() -> Subscription {
        let signal = ChangeSignal()
        let id = state.withLock { state -> UInt64 in
            state.nextID &+= 1
            state.all[state.nextID] = signal
            return state.nextID
        }
        return Subscription(id: id, signal: signal)
    }

    /// Adds `topic` to `subscription`.
    func add(_ topic: String, to subscription: Subscription) {
        state.withLock { $0.topics[topic, default: [:]][subscription.id] = subscription.signal }
    }

    /// Removes `topic` from `subscription`.
    func remove(_ topic: String, from subscription: Subscription) {
        state.withLock { state in
            state.topics[topic]?.removeValue(forKey: subscription.id)
            if state.topics[topic]?.isEmpty == true { state.topics.removeValue(forKey: topic) }
        }
    }

    /// Removes `subscription` and all its topics.
    func unsubscribe(_ subscription: Subscription) {
        state.withLock { state in
            state.all.removeValue(forKey: subscription.id)
            for topic in Array(state.topics.keys) {
                state.topics[topic]?.removeValue(forKey: subscription.id)
                if state.topics[topic]?.isEmpty == true { state.topics.removeValue(forKey: topic) }
            }
        }
    }

    /// Delivers a notification payload `TOKEN ELECTION` as the listening connection received it.
    func deliver(payload: String) {
        guard let space = payload.firstIndex(of: " "), let token = Int64(payload[..<space]) else {
            // Not ours (someone else notifies on the channel): the waiters re-check to be safe.
            wakeAll()
            return
        }
        let election = String(payload[payload.index(after: space)...])
        let signals = state.withLock { state in
            Array((state.topics[Self.electionTopic(election)] ?? [:]).values)
                + Array((state.topics[Self.candidacyTopic(election, token: token)] ?? [:]).values)
        }
        for signal in signals { signal.notify() }
    }

    /// Wakes every waiter: notifications may have been missed (the listening connection broke).
    func wakeAll() {
        let signals = state.withLock { Array($0.all.values) }
        for signal in signals { signal.notify() }
    }
}
