import Foundation
import GRPCCore
import LeaderElection
import Synchronization

extension EtcdBackend {
    public func grantLease(ttl: Duration) async throws -> LeaseID {
        // etcd counts whole seconds: round up, so that the store never expires the lease early.
        let (seconds, attoseconds) = ttl.components
        let wholeSeconds = max(1, seconds + (attoseconds > 0 ? 1 : 0))
        let request = Etcdserverpb_LeaseGrantRequest.with { $0.ttl = wholeSeconds }
        let response = try await client.unary("lease grant") { grpc, metadata, options in
            try await Etcdserverpb_Lease.Client(wrapping: grpc).leaseGrant(request, metadata: metadata, options: options)
        }
        guard response.error.isEmpty else {
            throw ElectionError.storeUnavailable("etcd refused to grant a lease of \(wholeSeconds) s: \(response.error)")
        }
        grantedTTLs.withLock { $0[response.id] = response.ttl }
        return LeaseID(response.id)
    }

    public func renewLease(_ lease: LeaseID) async throws {
        let answer = try await keepAlive.renew(lease.rawValue, timeout: client.configuration.requestTimeout)
        if answer.ttl <= 0 { throw ElectionError.leaseExpired(lease) }
        // A lease without a candidacy leads nothing: its renewal needs no proof.
        guard let key = candidacyKeys.withLock({ $0[lease.rawValue]?.key }) else { return }
        let read = try await range(
            "confirming the Raft term of a renewal of lease \(lease)",
            .with {
                $0.key = key
                $0.countOnly = true
            })
        try answer.confirm(byLinearizableReadInTerm: read.header.raftTerm, lease: lease)
    }

    public func revokeLease(_ lease: LeaseID) async throws {
        let candidacy = candidacyKeys.withLock { $0.removeValue(forKey: lease.rawValue) }
        let ttl = grantedTTLs.withLock { $0.removeValue(forKey: lease.rawValue) }
        if let candidacy {
            // Record the end as a step-down before the revocation deletes the key, so that the
            // successor need not wait out this lease (see `LeadershipRecord`). Best effort:
            // without it the successor waits one TTL, no more.
            do {
                _ = try await txn(
                    "step-down of lease \(lease)", stepDown(candidacy, lease: lease, ttl: ttl, ifCreatedAt: nil), lease: lease)
            } catch {
                logger.debug("could not record the step-down before revoking", metadata: ["lease": "\(lease)", "error": "\(error)"])
            }
        }
        let request = Etcdserverpb_LeaseRevokeRequest.with { $0.id = lease.rawValue }
        do {
            _ = try await client.unary("lease revoke", lease: lease) { grpc, metadata, options in
                try await Etcdserverpb_Lease.Client(wrapping: grpc).leaseRevoke(request, metadata: metadata, options: options)
            }
        } catch let error as ElectionError where error.code == .leaseExpired {
            return  // Already gone: that is what was asked for.
        }
    }

    public func campaign(election: String, lease: LeaseID, value: String) async throws -> Candidacy {
        let keys = ElectionKeys(election: election)
        let key = Data(keys.candidateKey(lease).utf8)
        let put = Etcdserverpb_RequestOp.with {
            $0.requestPut = .with {
                $0.key = key
                $0.value = Data(value.utf8)
                $0.lease = lease.rawValue
            }
        }
        let request = Etcdserverpb_TxnRequest.with {
            $0.compare = [.createRevision(of: key, equals: 0)]
            $0.success = [put]
            $0.failure = [.with { $0.requestRange = .with { $0.key = key } }]
        }
        let response = try await txn("campaign in election \(election)", request, lease: lease)
        var candidate: Candidacy
        if response.succeeded {
            candidate = Candidacy(
                election: election, key: keys.candidateKey(lease), value: value, lease: lease, token: FencingToken(response.header.revision)
            )
        } else {
            guard let existing = response.responses.first?.responseRange.kvs.first else {
                // The key vanished between the compare and the range: its lease just died.
                throw ElectionError.leaseExpired(lease)
            }
            candidate = keys.candidate(existing)
            if candidate.value != value {
                // As etcd's Go election does: proclaim the new value on the existing key.
                let proclaim = Etcdserverpb_TxnRequest.with {
                    $0.compare = [.createRevision(of: key, equals: existing.createRevision)]
                    $0.success = [put]
                }
                let proclaimed = try await txn("proclamation in election \(election)", proclaim, lease: lease)
                guard proclaimed.succeeded else { throw ElectionError.leaseExpired(lease) }
                candidate.value = value
            }
        }
        logger.debug("joined etcd election", metadata: ["key": "\(candidate.key)", "token": "\(candidate.token)"])
        candidacyKeys.withLock { $0[lease.rawValue] = CandidacyKey(election: election, key: key) }
        return candidate
    }

    public func waitUntilLeader(_ candidacy: Candidacy) async throws {
        let keys = ElectionKeys(election: candidacy.election)
        let ownKey = Data(candidacy.key.utf8)
        var watchFailures = 0
        /// The last predecessor this candidate saw deleted while it was the oldest.
        var lastLeader: EndedLeader?
        while true {
            try Task.checkCancellation()
            // In one read: that the own key still exists, the two newest older candidates (two,
            // to learn whether the newest one is the only one), the election's record, and the
            // oldest candidate (the leader).
            let request = Etcdserverpb_TxnRequest.with {
                $0.compare = [.createRevision(of: ownKey, equals: candidacy.token.rawValue)]
                $0.success = [
                    .with { $0.requestRange = keys.candidates(olderThan: candidacy.token, .descend, limit: 2) },
                    .with { $0.requestRange = .with { $0.key = keys.recordKey } },
                    .with { $0.requestRange = keys.candidates(olderThan: candidacy.token, .ascend, limit: 1) },
                ]
            }
            let response = try await txn("wait for leadership in election \(candidacy.election)", request, lease: candidacy.lease)
            guard response.succeeded, response.responses.count == 3 else { throw ElectionError.leaseExpired(candidacy.lease) }
            let older = response.responses[0].responseRange.kvs
            guard let predecessor = older.first else {
                // The oldest: no key created later, even under an old name, can get an older
                // create revision. Before leading, learn from the record whether the last leader
                // may still lead, and then record this candidate as the leader.
                let stored = response.responses[1].responseRange.kvs.first
                let record = stored.flatMap { LeadershipRecord(parsing: $0.value) }
                if case .leading(let lease, _) = record, lease == candidacy.lease { return }
                if let wait = await waitBeforeLeading(candidacy, after: record, lastLeader: lastLeader) {
                    try await Task.sleep(for: wait)
                }
                // Fails when the own key or the record changed since the read: then read again.
                if try await claimLeadership(candidacy, keys: keys, recordModRevision: stored?.modRevision ?? 0) { return }
                continue
            }
            let predecessorKey = predecessor.key
            // When the predecessor is the only older candidate, this one is the leader's successor:
            // it alone needs to know when the leader's lease can expire. Any other candidate also
            // watches the leader's key, to read again when the leader goes: it may be the new
            // leader's successor then, and must watch that one's lease from the start.
            let predecessorIsOldest = older.count == 1
            let leaderKey = predecessorIsOldest ? nil : response.responses[2].responseRange.kvs.first?.key
            let leaseClock = SharedLeaseClock()
            let poller =
                predecessorIsOldest && predecessor.lease != 0 ? await pollTimeToLive(of: LeaseID(predecessor.lease), into: leaseClock) : nil
            defer { poller?.cancel() }
            let outcome = try await watchDeletion(
                of: predecessorKey, ownKey: ownKey, leaderKey: leaderKey, after: response.header.revision, failures: &watchFailures)
            let deletedAt = ContinuousClock.now
            poller?.cancel()
            switch outcome {
            case .ownKeyDeleted: throw ElectionError.leaseExpired(candidacy.lease)
            case .predecessorDeleted where predecessorIsOldest:
                lastLeader = EndedLeader(lease: LeaseID(predecessor.lease), deletedAt: deletedAt, clock: leaseClock.state.withLock { $0 })
                continue
            case .predecessorDeleted, .leaderDeleted, .watchFailed: continue
            }
        }
    }

    public func resign(_ candidacy: Candidacy) async throws {
        let key = CandidacyKey(election: candidacy.election, key: Data(candidacy.key.utf8))
        do {
            let ttl = await grantedTTL(of: candidacy.lease)
            _ = try await txn(
                "resignation from election \(candidacy.election)",
                stepDown(key, lease: candidacy.lease, ttl: ttl, ifCreatedAt: candidacy.token.rawValue), lease: candidacy.lease)
        } catch let error as ElectionError where error.code == .leaseExpired {
            // The step-down needs the lease; without it the key is gone already, or goes with the lease.
        }
        candidacyKeys.withLock { $0[candidacy.lease.rawValue] = nil }
    }

    public func leader(election: String) async throws -> Candidacy? {
        try await readLeader(election).leader
    }

    public func candidates(election: String) async throws -> [Candidacy] {
        let keys = ElectionKeys(election: election)
        let request = Etcdserverpb_RangeRequest.with {
            $0.key = keys.prefix
            $0.rangeEnd = keys.prefixEnd
            $0.sortTarget = .create
            $0.sortOrder = .ascend
        }
        let response = try await range("candidates of election \(election)", request)
        return response.kvs.map(keys.candidate)
    }

    public func watchLeader(election: String) -> AsyncThrowingStream<Candidacy?, any Error> {
        let lastYielded = Mutex<Candidacy??>(.none)
        let transientFailures = Mutex(0)
        let allowedFailures = max(3, client.members.count * 2)
        return AsyncThrowingStream(unfolding: {
            while !Task.isCancelled {
                do {
                    let (leader, revision) = try await self.readLeader(election)
                    let changed = lastYielded.withLock { last -> Bool in
                        if case .some(let previous) = last, previous == leader { return false }
                        last = .some(leader)
                        return true
                    }
                    if changed { return .some(leader) }
                    try await self.waitForLeaderChange(election: election, leader: leader, after: revision)
                    transientFailures.withLock { $0 = 0 }
                } catch let error as EtcdWatchCompacted {
                    // The history after the read is gone (what changed in it, the next read shows):
                    // read again, at once. The member answered, so this is no failure, however
                    // often it happens; counting it would end the observation under busy compaction.
                    transientFailures.withLock { $0 = 0 }
                    self.logger.debug(
                        "watching the leader from a compacted revision; reading again",
                        metadata: ["election": "\(election)", "error": "\(error)"])
                } catch {
                    if Task.isCancelled { return nil }
                    let failures = transientFailures.withLock { count -> Int in
                        count += 1
                        return count
                    }
                    guard failures <= allowedFailures else { throw error }
                    self.logger.debug("watching the leader failed; retrying", metadata: ["election": "\(election)", "error": "\(error)"])
                    try? await Task.sleep(for: .milliseconds(50 * failures))
                }
            }
            return nil
        })
    }

    // MARK: - Helpers

    /// What ended a wait for the predecessor's deletion.
    private enum WaitOutcome {
        case predecessorDeleted
        case ownKeyDeleted
        /// The leader's key (not the predecessor's) was deleted.
        case leaderDeleted
        /// The watch broke; read again and watch anew.
        case watchFailed
    }

    /// Waits for the deletion of the predecessor's key, of the own key, or of `leaderKey` when given,
    /// after `revision`.
    ///
    /// Watches only those keys, for deletions only, from just after the read. Go's election
    /// starts at the read's revision itself; no deletion of a key that existed then can carry
    /// that revision, so both see the same deletions, but a watch from a revision etcd has not
    /// reached yet is "synced" at once, while one from a past revision waits for etcd's 100 ms
    /// sync loop before it gets events.
    ///
    /// The caller reads again after any deletion, so the order in which etcd sends the watchers'
    /// events does not matter.
    private func watchDeletion(
        of predecessorKey: Data,
        ownKey: Data,
        leaderKey: Data?,
        after revision: Int64,
        failures: inout Int
    ) async throws -> WaitOutcome {
        let watchers = ([predecessorKey, ownKey] + (leaderKey.map { [$0] } ?? [])).map { key in
            Etcdserverpb_WatchCreateRequest.with {
                $0.key = key
                $0.startRevision = revision + 1
                $0.filters = [.noput]
            }
        }
        do {
            let outcome = try await client.watch("watch of the predecessor \(String(decoding: predecessorKey, as: UTF8.self))", watchers) {
                message -> WaitOutcome? in
                let deleted = message.events.filter { $0.type == .delete }.map(\.kv)
                // The own key first: gone is gone, even when the predecessor went before it.
                if deleted.contains(where: { $0.key == ownKey }) { return .ownKeyDeleted }
                if deleted.contains(where: { $0.key == predecessorKey }) { return .predecessorDeleted }
                if let leaderKey, deleted.contains(where: { $0.key == leaderKey }) { return .leaderDeleted }
                return nil
            }
            failures = 0
            return outcome
        } catch let error as EtcdWatchCompacted {
            // Read again, at a newer revision, at once; the member answered, so no failure.
            failures = 0
            logger.debug("watch of the predecessor started at a compacted revision; reading again", metadata: ["error": "\(error)"])
            return .watchFailed
        } catch let error as ElectionError where error.code == .storeUnavailable {
            // A broken watch stream: read again (on the next member) and watch anew, a few
            // times, before leaving the retry to the caller.
            failures += 1
            guard failures <= client.members.count * 2 else { throw error }
            logger.debug("watch of the predecessor failed; reading again", metadata: ["error": "\(error)"])
            try await Task.sleep(for: .milliseconds(10 * failures))
            return .watchFailed
        }
    }

    /// The leader (lowest create revision under the prefix) and the revision of the read.
    private func readLeader(_ election: String) async throws -> (leader: Candidacy?, revision: Int64) {
        let keys = ElectionKeys(election: election)
        let request = Etcdserverpb_RangeRequest.with {
            $0.key = keys.prefix
            $0.rangeEnd = keys.prefixEnd
            $0.sortTarget = .create
            $0.sortOrder = .ascend
            $0.limit = 1
        }
        let response = try await range("leader of election \(election)", request)
        return (response.kvs.first.map(keys.candidate), response.header.revision)
    }

    /// Returns after the first change that may change the leader after `revision`: any event on
    /// the leader's key, or the first candidate key put while there is no leader.
    private func waitForLeaderChange(election: String, leader: Candidacy?, after revision: Int64) async throws {
        let keys = ElectionKeys(election: election)
        let watcher = Etcdserverpb_WatchCreateRequest.with {
            if let leader {
                $0.key = Data(leader.key.utf8)
            } else {
                $0.key = keys.prefix
                $0.rangeEnd = keys.prefixEnd
                $0.filters = [.nodelete]
            }
            $0.startRevision = revision + 1
        }
        _ = try await client.watch("watch of the leader of election \(election)", [watcher]) { message in
            message.events.isEmpty ? nil : true
        }
    }

    func range(_ what: String, _ request: Etcdserverpb_RangeRequest) async throws -> Etcdserverpb_RangeResponse {
        try await client.unary(what) { grpc, metadata, options in
            try await Etcdserverpb_KV.Client(wrapping: grpc).range(request, metadata: metadata, options: options)
        }
    }

    func txn(_ what: String, _ request: Etcdserverpb_TxnRequest, lease: LeaseID?) async throws -> Etcdserverpb_TxnResponse {
        try await client.unary(what, lease: lease) { grpc, metadata, options in
            try await Etcdserverpb_KV.Client(wrapping: grpc).txn(request, metadata: metadata, options: options)
        }
    }
}
