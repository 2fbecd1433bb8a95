import Testing

@testable import LeaderElectionEtcd

/// The matching of keep-alive answers to requests, without a server: every answer goes to the
/// request it answers, whatever callers give up and whatever streams are replaced.
@Suite("keep-alive request matching")
struct KeepAliveRequestsTests {
    private let t0 = ContinuousClock().now

    @Test("answers go to the requests of their lease in send order")
    func order() {
        var requests = KeepAliveRequests<String>()
        let (stream, leases) = requests.streamOpened(now: t0)
        #expect(leases.isEmpty)
        #expect(requests.add(id: 1, lease: 7, waiter: "7a", now: t0) == stream)
        #expect(requests.add(id: 2, lease: 8, waiter: "8a", now: t0) == stream)
        #expect(requests.add(id: 3, lease: 7, waiter: "7b", now: t0) == stream)
        #expect(requests.answer(lease: 8, generation: stream) == .waiter("8a"))
        #expect(requests.answer(lease: 7, generation: stream) == .waiter("7a"))
        #expect(requests.answer(lease: 7, generation: stream) == .waiter("7b"))
        #expect(requests.answer(lease: 7, generation: stream) == .unexpected)
        #expect(requests.isEmpty)
    }

    @Test("a request whose caller gave up keeps its place: its late answer is dropped, the next request waits for its own")
    func lateAnswer() {
        var requests = KeepAliveRequests<String>()
        let (stream, _) = requests.streamOpened(now: t0)
        _ = requests.add(id: 1, lease: 7, waiter: "first", now: t0)
        #expect(requests.abandon(id: 1, lease: 7) == "first")
        _ = requests.add(id: 2, lease: 7, waiter: "second", now: t0 + .seconds(1))
        // The placeholder still owes its answer: the stream's oldest debt is from t0.
        #expect(requests.oldestUnanswered == t0)
        #expect(requests.answer(lease: 7, generation: stream) == .abandoned)
        #expect(requests.oldestUnanswered == t0 + .seconds(1))
        #expect(requests.answer(lease: 7, generation: stream) == .waiter("second"))
        // Giving up after the answer came changes nothing.
        #expect(requests.abandon(id: 2, lease: 7) == nil)
        #expect(requests.isEmpty)
    }

    @Test("a placeholder in the middle of the queue keeps the order of those around it")
    func placeholderInTheMiddle() {
        var requests = KeepAliveRequests<String>()
        let (stream, _) = requests.streamOpened(now: t0)
        for (id, name) in [(1, "a"), (2, "b"), (3, "c")] { _ = requests.add(id: UInt64(id), lease: 7, waiter: name, now: t0) }
        #expect(requests.abandon(id: 2, lease: 7) == "b")
        #expect(requests.answer(lease: 7, generation: stream) == .waiter("a"))
        #expect(requests.answer(lease: 7, generation: stream) == .abandoned)
        #expect(requests.answer(lease: 7, generation: stream) == .waiter("c"))
    }

    @Test("requests made while no stream is open go out in order on the next one; one given up before is withdrawn")
    func unsent() {
        var requests = KeepAliveRequests<String>()
        #expect(requests.add(id: 1, lease: 7, waiter: "a", now: t0) == nil)
        #expect(requests.add(id: 2, lease: 7, waiter: "b", now: t0) == nil)
        #expect(requests.add(id: 3, lease: 8, waiter: "c", now: t0) == nil)
        #expect(requests.oldestUnanswered == nil)
        #expect(requests.abandon(id: 1, lease: 7) == "a")
        let (stream, leases) = requests.streamOpened(now: t0 + .seconds(2))
        #expect(leases == [7, 8])
        // Sent when the stream opened, not when asked.
        #expect(requests.oldestUnanswered == t0 + .seconds(2))
        #expect(requests.answer(lease: 7, generation: stream) == .waiter("b"))
        #expect(requests.answer(lease: 8, generation: stream) == .waiter("c"))
        #expect(requests.isEmpty)
    }

    @Test("a replaced stream fails its requests, and its late answers never reach the next stream's requests")
    func generations() {
        var requests = KeepAliveRequests<String>()
        let (old, _) = requests.streamOpened(now: t0)
        _ = requests.add(id: 1, lease: 7, waiter: "a", now: t0)
        _ = requests.add(id: 2, lease: 8, waiter: "b", now: t0)
        _ = requests.add(id: 3, lease: 7, waiter: "given up", now: t0)
        _ = requests.abandon(id: 3, lease: 7)
        #expect(Set(requests.streamClosed(generation: old)) == ["a", "b"])
        // Closing it again (the run loop after a restart) does nothing.
        #expect(requests.streamClosed(generation: old).isEmpty)
        #expect(requests.add(id: 4, lease: 7, waiter: "c", now: t0) == nil)
        let (new, leases) = requests.streamOpened(now: t0)
        #expect(new != old)
        #expect(leases == [7])
        #expect(requests.answer(lease: 7, generation: old) == .staleStream)
        #expect(requests.answer(lease: 7, generation: new) == .waiter("c"))
        // Closing the old generation once more must not touch the new stream.
        _ = requests.add(id: 5, lease: 7, waiter: "d", now: t0)
        #expect(requests.streamClosed(generation: old).isEmpty)
        #expect(requests.answer(lease: 7, generation: new) == .waiter("d"))
    }

    @Test("shutting down returns every waiter, sent or not")
    func removeAll() {
        var requests = KeepAliveRequests<String>()
        _ = requests.add(id: 1, lease: 7, waiter: "unsent", now: t0)
        _ = requests.streamOpened(now: t0)
        _ = requests.add(id: 2, lease: 7, waiter: "sent", now: t0)
        #expect(Set(requests.removeAll()) == ["unsent", "sent"])
        #expect(requests.isEmpty)
        #expect(requests.openStream == nil)
    }
}
