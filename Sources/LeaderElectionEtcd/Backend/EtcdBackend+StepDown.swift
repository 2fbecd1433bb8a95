import Foundation
import LeaderElection

extension EtcdBackend {
    /// The transaction by which a candidate that stopped leading ends its candidacy: delete its
    /// key and, in the same revision, write the step-down mark (``ElectionKeys/steppedDownKey(_:)``)
    /// with its lease. With `ifCreatedAt`, only if the key is still that candidacy's.
    func stepDown(_ candidacy: CandidacyKey, lease: LeaseID, ifCreatedAt token: Int64?) -> Etcdserverpb_TxnRequest {
        let keys = ElectionKeys(election: candidacy.election)
        return .with {
            if let token { $0.compare = [.createRevision(of: candidacy.key, equals: token)] }
            $0.success = [
                .with { $0.requestDeleteRange = .with { $0.key = candidacy.key } },
                .with {
                    $0.requestPut = .with {
                        $0.key = Data(keys.steppedDownKey(lease).utf8)
                        $0.lease = lease.rawValue
                    }
                },
            ]
        }
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

    /// How long the successor of a leader whose key was deleted at `revision` (seen at
    /// `deletedAt`) must wait before it leads: nil when the leader stepped down (its mark is there
    /// at that revision), when its key was deleted while its lease lives on (a resignation, as Go's
    /// `Resign`), or when the lease could have expired by then; otherwise the leader's TTL.
    func waitAfterDeletion(
        of predecessor: Mvccpb_KeyValue,
        keys: ElectionKeys,
        at revision: Int64,
        deletedAt: ContinuousClock.Instant,
        leaseClock: PredecessorLeaseClock
    ) async -> Duration? {
        guard let wait = leaseClock.waitBeforeLeading(deletedAt: deletedAt) else { return nil }
        let lease = LeaseID(predecessor.lease)
        let mark = Etcdserverpb_RangeRequest.with {
            $0.key = Data(keys.steppedDownKey(lease).utf8)
            $0.revision = revision
            $0.countOnly = true
        }
        if let marked = try? await range("step-down mark of lease \(lease)", mark), marked.count > 0 { return nil }
        if case .some(.some) = try? await remainingTime(of: lease) { return nil }
        logger.warning(
            "etcd deleted the leader's key before its lease could have expired; waiting one TTL before leading, by when the previous leader has stopped",
            metadata: [
                "key": "\(String(decoding: predecessor.key, as: UTF8.self))", "wait": "\(wait)",
                "known cause":
                    "etcd-io/etcd#12528: a Raft leader resuming from a pause revokes leases it counted down; fixed upstream by etcd-io/etcd#16822",
            ])
        return wait
    }
}
