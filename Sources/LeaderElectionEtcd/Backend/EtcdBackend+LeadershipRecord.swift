import Foundation
import LeaderElection

extension EtcdBackend {
    /// The transaction by which a candidate ends its candidacy: delete its key and, in the same
    /// revision, turn the election's ``LeadershipRecord`` from its own `leading` into
    /// `steppedDown`, when the record is its own (a candidate that never led leaves it alone).
    /// With `ifCreatedAt`, only if the key is still that candidacy's.
    func stepDown(_ candidacy: CandidacyKey, lease: LeaseID, ttl: Int64?, ifCreatedAt token: Int64?) -> Etcdserverpb_TxnRequest {
        let keys = ElectionKeys(election: candidacy.election)
        var operations: [Etcdserverpb_RequestOp] = [.with { $0.requestDeleteRange = .with { $0.key = candidacy.key } }]
        if let ttl {
            let own = LeadershipRecord.leading(lease: lease, ttl: .seconds(ttl))
            operations.append(
                .with {
                    $0.requestTxn = .with {
                        $0.compare = [
                            .with {
                                $0.key = keys.recordKey
                                $0.target = .value
                                $0.result = .equal
                                $0.value = own.encoded
                            }
                        ]
                        $0.success = [
                            .with {
                                $0.requestPut = .with {
                                    $0.key = keys.recordKey
                                    $0.value = LeadershipRecord.steppedDown(lease: lease).encoded
                                }
                            }
                        ]
                    }
                })
        }
        return .with {
            if let token { $0.compare = [.createRevision(of: candidacy.key, equals: token)] }
            $0.success = operations
        }
    }

    /// The TTL `lease` was granted, in whole seconds: remembered from its grant, else asked of
    /// etcd; nil when neither knows it (the lease is gone).
    func grantedTTL(of lease: LeaseID) async -> Int64? {
        if let known = grantedTTLs.withLock({ $0[lease.rawValue] }) { return known }
        guard let (remaining, granted) = try? await timeToLive(of: lease), remaining >= 0, granted > 0 else { return nil }
        return granted
    }

    /// Writes the candidate's `leading` record before it leads: only while its key exists and the
    /// record is still the one it read (`recordModRevision`, 0 when there was none). False when
    /// either changed; the caller reads again.
    func claimLeadership(_ candidacy: Candidacy, keys: ElectionKeys, recordModRevision: Int64) async throws -> Bool {
        guard let ttl = await grantedTTL(of: candidacy.lease) else { throw ElectionError.leaseExpired(candidacy.lease) }
        let request = Etcdserverpb_TxnRequest.with {
            $0.compare = [
                .createRevision(of: Data(candidacy.key.utf8), equals: candidacy.token.rawValue),
                .with {
                    $0.key = keys.recordKey
                    $0.target = .mod
                    $0.result = .equal
                    $0.modRevision = recordModRevision
                },
            ]
            $0.success = [
                .with {
                    $0.requestPut = .with {
                        $0.key = keys.recordKey
                        $0.value = LeadershipRecord.leading(lease: candidacy.lease, ttl: .seconds(ttl)).encoded
                    }
                }
            ]
        }
        return try await txn("leadership record of election \(candidacy.election)", request, lease: candidacy.lease).succeeded
    }

    /// Reads the lease's time-to-live once now, then every quarter of its TTL until cancelled,
    /// into `clock`. Failed reads are skipped: they promise nothing.
    func pollTimeToLive(of lease: LeaseID, into clock: SharedLeaseClock) async -> Task<Void, Never> {
        await readTimeToLive(of: lease, into: clock)
        return Task {
            while !Task.isCancelled {
                let granted = clock.state.withLock { $0.grantedTTL }
                let interval = granted > .zero ? max(.milliseconds(100), granted / 4) : .milliseconds(250)
                guard (try? await Task.sleep(for: interval)) != nil else { return }
                await readTimeToLive(of: lease, into: clock)
            }
        }
    }

    private func readTimeToLive(of lease: LeaseID, into clock: SharedLeaseClock) async {
        let sentAt = ContinuousClock.now
        do {
            let (remaining, granted) = try await timeToLive(of: lease)
            clock.state.withLock { $0.record(sentAt: sentAt, remaining: remaining, granted: granted) }
        } catch {
            logger.trace("could not read the leader's lease", metadata: ["lease": "\(lease)", "error": "\(error)"])
        }
    }

    /// How long a candidate that found itself the oldest must still wait before it leads, given
    /// the election's `record` of its last leader: nil when there is no record, when the leader
    /// stepped down, when the record is the candidate's own, when its key was deleted while its
    /// lease lives on (a resignation, as Go's `Resign`), or when this candidate watched that
    /// leader's lease (`lastLeader`) and saw its key go when the lease could have expired.
    /// Otherwise the leader may still lead: the rest of its TTL from the deletion this candidate
    /// saw, or, when it saw none, its whole TTL from now.
    func waitBeforeLeading(
        _ candidacy: Candidacy,
        after record: LeadershipRecord?,
        lastLeader: EndedLeader?
    ) async -> Duration? {
        guard case .leading(let lease, let ttl) = record, lease != candidacy.lease else { return nil }
        var wait = ttl
        if let lastLeader, lastLeader.lease == lease {
            guard let promised = lastLeader.clock.waitBeforeLeading(deletedAt: lastLeader.deletedAt) else { return nil }
            wait = lastLeader.deletedAt + promised - .now
            guard wait > .zero else { return nil }
        }
        if case .some(.some) = try? await remainingTime(of: lease) { return nil }
        logger.warning(
            "the last leader's key is gone without a step-down, maybe before its lease could have expired; waiting out its TTL before leading, by when it has stopped",
            metadata: [
                "election": "\(candidacy.election)", "last leader's lease": "\(lease)", "wait": "\(wait)",
                "watched its lease": "\(lastLeader?.lease == lease)",
                "known cause":
                    "etcd-io/etcd#12528: a Raft leader resuming from a pause revokes leases it counted down; fixed upstream by etcd-io/etcd#16822",
            ])
        return wait
    }
}
