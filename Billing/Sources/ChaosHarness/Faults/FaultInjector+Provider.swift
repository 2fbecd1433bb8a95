import Foundation
import PaymentSandbox

/// The faults at the payment provider: the leader's link to it, and the sandbox's own faults.
extension FaultInjector {
    /// Cuts the leading node off from the provider for ``ChaosCluster/providerOutage``; confirmed
    /// by a connection from its namespace to the sandbox that opens before the cut and fails during
    /// it (and, for `provider-lost-then-refused`, by an answer the sandbox dropped first).
    func cutLeaderFromProvider(_ kind: FaultKind, seed: UInt64) async throws -> FaultRecord {
        guard let leader = await cluster.waitForLeader(above: nil, timeout: .seconds(30)) else {
            return failed(kind, "no leader to hit within 30 s")
        }
        let lab = cluster.lab
        let node = leader.node
        let host = lab.sandboxAddress(forNode: node.index)
        var record = FaultRecord(
            kind: kind, target: node.id, startMs: now(), confirmedMs: nil, endMs: 0, leaderTokenBefore: nil, detail: "")
        let reachedBefore = lab.canConnect(fromNode: node.index, to: host, port: cluster.sandboxPort)
        var dropped = 0
        if kind == .providerLostThenRefused {
            let sandbox = cluster.sandbox
            let before = sandbox.statistics().faultsOnFirstRequests.lost
            var rates = FaultRates(seed: seed)
            rates.lostRate = 1
            try sandbox.setFaultRates(rates)
            let clock = ContinuousClock()
            let end = clock.now + .seconds(10)
            while clock.now < end, sandbox.statistics().faultsOnFirstRequests.lost == before { try await Task.sleep(for: .milliseconds(2)) }
            // The engine replays a lost answer's key after 500 ms: the cut must come first.
            try lab.cutNodeFromProvider(node.index, refuse: true)
            try sandbox.setFaultRates(.none)
            dropped = sandbox.statistics().faultsOnFirstRequests.lost - before
        } else {
            try lab.cutNodeFromProvider(node.index, refuse: kind == .leaderProviderRefused)
        }
        let cut = !lab.canConnect(fromNode: node.index, to: host, port: cluster.sandboxPort)
        if reachedBefore, cut, kind != .providerLostThenRefused || dropped > 0 { record.confirmedMs = now() }
        try await Task.sleep(for: cluster.providerOutage)
        try lab.healNode(node.index)
        record.endMs = now()
        let how = kind == .leaderProviderBlackholed ? "blackholed" : "refused"
        record.detail =
            "\(node.id) (token \(leader.token))\(kind == .providerLostThenRefused ? " had \(dropped) answers dropped, then" : "") cut off from the provider (\(how)) for \(cluster.providerOutage)\(reachedBefore ? "" : " (it did not reach the provider before the cut either)")"
        return record
    }

    func sandboxFault(_ kind: FaultKind, seed: UInt64) async throws -> FaultRecord {
        let sandbox = cluster.sandbox
        let before = sandbox.statistics()
        var rates = FaultRates(seed: seed)
        switch kind {
        case .sandboxLostResponse: rates.lostRate = 0.3
        case .sandboxServerError: rates.serverErrorRate = 0.3
        case .sandboxHang:
            rates.hangRate = 0.15
            rates.hangDuration = .seconds(3)
        case .sandboxRateLimit:
            rates.rateLimitRate = 0.3
            rates.retryAfter = .milliseconds(500)
        case .sandboxLateApply:
            rates.lateRate = 0.15
            rates.lateDuration = .seconds(ChaosCommand.providerTimeoutSeconds + 5)
        default: preconditionFailure("\(kind) is not a sandbox fault")
        }
        var record = FaultRecord(
            kind: kind, target: "sandbox", startMs: now(), confirmedMs: nil, endMs: 0, leaderTokenBefore: nil, detail: "")
        try sandbox.setFaultRates(rates)
        let clock = ContinuousClock()
        let end = clock.now + .seconds(3)
        var applied = 0
        while clock.now < end || (applied == 0 && clock.now < end + .seconds(7)) {
            try await Task.sleep(for: .milliseconds(100))
            // Only faults that met a request's first delivery count: one on a replay repeats an answer.
            let (after, earlier) = (sandbox.statistics().faultsOnFirstRequests, before.faultsOnFirstRequests)
            applied =
                switch kind {
                case .sandboxLostResponse: after.lost - earlier.lost
                case .sandboxServerError: after.serverError - earlier.serverError
                case .sandboxHang: after.hang - earlier.hang
                case .sandboxLateApply: after.late - earlier.late
                default: after.rateLimited - earlier.rateLimited
                }
            if applied > 0, record.confirmedMs == nil { record.confirmedMs = now() }
        }
        try sandbox.setFaultRates(.none)
        record.endMs = now()
        record.detail = "\(applied) first-time requests hit by \(kind.rawValue) in the window"
        return record
    }
}
