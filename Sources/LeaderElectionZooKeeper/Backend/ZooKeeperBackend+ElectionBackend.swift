import LeaderElection
import NIOCore

extension ZooKeeperBackend {
    /// Opens a session whose timeout is `ttl` plus the allowance; the lease id is the session id.
    ///
    /// The session must keep a timeout of at least `ttl` on every server it connects to: the
    /// server that grants it checks this here, and each server it moves to later is checked when
    /// it connects (see ``renewLease(_:)``).
    /// - Throws: `ElectionError.Code.invalidConfiguration` when the ensemble grants a session
    ///   timeout shorter than `ttl` (its `maxSessionTimeout` is lower).
    public func grantLease(ttl: Duration) async throws -> LeaseID {
        guard ttl > .zero else {
            throw ElectionError.invalidConfiguration("a lease TTL must be positive, got \(ttl)")
        }
        let allowance = configuration.sessionTimeoutAllowance ?? ttl / 3
        let requested = Self.milliseconds(ttl + allowance)
        let session = try await withTimeout("opening a session for a lease") {
            try await ZooKeeperSession.open(
                endpoints: self.endpoints,
                timeoutMilliseconds: requested,
                minimumTimeoutMilliseconds: Self.milliseconds(ttl),
                connectTimeout: self.configuration.connectTimeout,
                replyTimeout: self.replyTimeout(sessionTimeout: ttl),
                group: self.group,
                router: self.router
            )
        }
        let granted = session.negotiatedTimeoutMilliseconds
        if granted < requested {
            logger.debug("ZooKeeper shortened the session timeout", metadata: ["requested": "\(requested)", "granted": "\(granted)"])
        }
        let id = session.sessionID
        leases.withLock { $0[id] = LeaseRecord(session: session) }
        return LeaseID(id)
    }

    /// Has the ensemble commit a transaction through the lease's session and returns once it is
    /// answered (reconnecting to another server of the ensemble if needed). The transaction is a
    /// `multi` holding one `check` of `/`, which changes nothing.
    ///
    /// What an answer proves: the ensemble's leader checked, after this call began, that the
    /// session had not expired, and a quorum accepted the transaction, so that leader still led
    /// the ensemble then. Neither a ping nor a `sync` proves that much. A server cut off from its
    /// peers answers pings until it notices the lost ensemble, `syncLimit` ticks later. And when the
    /// server cut off is the ensemble's leader itself, it answers syncs on its own authority for
    /// those ticks while the others may already have elected a new leader, which expires the session
    /// a session timeout after taking over. The leader counts the session's timeout (TTL plus the
    /// allowance) from the last time the session's server reported it alive, which it heard before
    /// committing: with renewals every TTL / 3 (and the servers' `tickTime` / 2 shorter than that)
    /// it cannot expire the session before the TTL has passed since this call began, which is when
    /// `Election` counts its deadline from.
    ///
    /// - Throws: `ElectionError.Code.leaseExpired` when the session expired, is not this
    ///   backend's, or moved to a server that granted it a timeout shorter than the TTL (the
    ///   session is then closed: the ensemble could expire it before the holder's deadline);
    ///   `ElectionError.Code.storeUnavailable` when no answer came in time.
    public func renewLease(_ lease: LeaseID) async throws {
        guard let session = leaseSession(lease) else { throw ElectionError.leaseExpired(lease) }
        try await withTimeout("renewing lease \(lease)", lease: lease) {
            if PingRenewal.isEnabled { try await session.ping() } else { try await session.checkThroughQuorum() }
        }
    }

    /// Closes the lease's session, which deletes its candidacies at once. For a lease of another
    /// process, deletes its candidacies in the elections this backend has used.
    public func revokeLease(_ lease: LeaseID) async throws {
        if let session = leaseSession(lease) {
            // The session is unusable after close() even when it fails: forget it either way.
            defer { forget(lease) }
            do {
                try await withTimeout("revoking lease \(lease)", lease: lease) { try await session.close() }
            } catch let error as ElectionError where error.code == .leaseExpired {
                // Already gone.
            }
            return
        }
        let paths = knownPaths.withLock { $0 }
        try await withTimeout("revoking lease \(lease)") {
            let session = try await self.observerSession()
            for path in paths {
                for node in ElectionNode.contenders(try await self.children(session, path) ?? []) {
                    let key = path + "/" + node.name
                    if let stat = try await self.exists(session, key, watch: false), stat.ephemeralOwner == lease.rawValue {
                        try await self.delete(session, key)
                    }
                }
            }
        }
    }

    /// Creates the lease's candidacy, an ephemeral sequential znode `PATH/<uuid>__lock__<seq>`
    /// holding `value`, or returns the one the lease already has in `election`.
    public func campaign(election: String, lease: LeaseID, value: String) async throws -> Candidacy {
        let path = ElectionNode.electionPath(election, root: configuration.root)
        let found = leases.withLock { leases -> (ZooKeeperSession, Candidacy?, String, Bool)? in
            guard var record = leases[lease.rawValue] else { return nil }
            let retrying = record.prefixes[path] != nil
            let prefix = record.prefixes[path] ?? Self.newPrefix()
            record.prefixes[path] = prefix
            leases[lease.rawValue] = record
            return (record.session, record.candidacies[path], prefix, retrying)
        }
        guard let (session, existing, prefix, retrying) = found else { throw ElectionError.leaseExpired(lease) }
        if let existing { return existing }
        knownPaths.withLock { _ = $0.insert(path) }
        let candidacy = try await withTimeout("joining election '\(election)'", lease: lease) {
            if retrying {
                // An earlier call may have created the candidacy and lost the answer, and the session
                // may have moved since to a server that has not applied that create yet: a sync makes
                // the server catch up with the leader before it is looked for below. (A create still
                // in flight from the old server then fails: the leader refuses requests of a session
                // that moved.)
                try await session.sync(path)
            }
            while true {
                try Task.checkCancellation()
                // A create whose answer was lost may have happened: look for it first.
                if let children = try await self.children(session, path),
                    let mine = children.first(where: { $0.hasPrefix(prefix) }),
                    let candidate = try await self.candidate(session, election: election, path: path, name: mine)
                {
                    return candidate
                }
                do {
                    var reply = try await session.request(
                        ZooKeeperRequest.create(path: path + "/" + prefix, data: Array(value.utf8), mode: .ephemeralSequential),
                        path: path
                    )
                    let key = try reply.body.readJuteString() ?? ""
                    let stat = try ZooKeeperStat(from: &reply.body)
                    return Candidacy(election: election, key: key, value: value, lease: lease, token: FencingToken(stat.czxid))
                } catch let failure as ZooKeeperFailure where failure.isNoNode {
                    try await self.ensurePath(session, path)
                }
            }
        }
        leases.withLock { $0[lease.rawValue]?.candidacies[path] = candidacy }
        return candidacy
    }

    /// Returns once `candidacy` has the lowest sequence of its election. Watches only the
    /// candidacy just before it (and its own znode, to notice its loss); re-reads on each watch,
    /// reconnection, and every ``ZooKeeperConfiguration/pollInterval``.
    public func waitUntilLeader(_ candidacy: Candidacy) async throws {
        let path = ElectionNode.electionPath(candidacy.election, root: configuration.root)
        let ownName = String(candidacy.key.dropFirst(path.count + 1))
        let subscription = router.subscribe()
        defer { router.unsubscribe(subscription) }
        let local = leaseSession(candidacy.lease)
        while true {
            try Task.checkCancellation()
            let version = subscription.signal.version
            let leading = try await withTimeout(
                "waiting to lead election '\(candidacy.election)'", lease: local == nil ? nil : candidacy.lease
            ) { () async throws -> Bool? in
                let session = try await self.session(local)
                let contenders = ElectionNode.contenders(try await self.children(session, path) ?? [])
                guard let index = contenders.firstIndex(where: { $0.name == ownName }) else {
                    throw ElectionError.leaseExpired(candidacy.lease)
                }
                if index == 0 { return true }
                let predecessor = path + "/" + contenders[index - 1].name
                self.router.watch([predecessor, candidacy.key], subscription)
                guard try await self.exists(session, predecessor, watch: true) != nil else { return false }
                guard try await self.exists(session, candidacy.key, watch: true) != nil else {
                    throw ElectionError.leaseExpired(candidacy.lease)
                }
                // Wait below (unless a watch already fired since `version`).
                return nil
            }
            switch leading {
            case .some(true): return
            case .some(false): continue
            case .none: await subscription.signal.wait(after: version, orUntil: clock.now() + configuration.pollInterval, clock: clock)
            }
        }
    }

    /// Deletes the candidacy's znode (the session stays); succeeds if it is already gone.
    public func resign(_ candidacy: Candidacy) async throws {
        let path = ElectionNode.electionPath(candidacy.election, root: configuration.root)
        let local = leaseSession(candidacy.lease)
        try await withTimeout("resigning from election '\(candidacy.election)'") {
            let session = try await self.session(local)
            try await self.delete(session, candidacy.key)
        }
        leases.withLock { leases in
            if leases[candidacy.lease.rawValue]?.candidacies[path] == candidacy {
                leases[candidacy.lease.rawValue]?.candidacies[path] = nil
                leases[candidacy.lease.rawValue]?.prefixes[path] = nil
            }
        }
    }

    /// The candidacy with the lowest sequence in `election`, or nil.
    public func leader(election: String) async throws -> Candidacy? {
        let path = ElectionNode.electionPath(election, root: configuration.root)
        return try await withTimeout("reading the leader of '\(election)'") {
            let session = try await self.observerSession()
            return try await self.firstCandidate(session, election: election, path: path, watch: false)
        }
    }

    /// Every candidacy of `election`, leader first (kazoo's candidates included).
    public func candidates(election: String) async throws -> [Candidacy] {
        let path = ElectionNode.electionPath(election, root: configuration.root)
        return try await withTimeout("reading the candidates of '\(election)'") {
            let session = try await self.observerSession()
            var result: [Candidacy] = []
            for node in ElectionNode.contenders(try await self.children(session, path) ?? []) {
                if let candidate = try await self.candidate(session, election: election, path: path, name: node.name) {
                    result.append(candidate)
                }
            }
            return result
        }
    }

    /// The leader of `election` now and after each change, woken by a watch on the election's
    /// children (or on its creation), and re-read after the observer session reconnects (watches
    /// do not move with it). Ends with the error when ZooKeeper could not be read for
    /// ``ZooKeeperConfiguration/observerSessionTimeout`` (and at least three times) in a row.
    public func watchLeader(election: String) -> AsyncThrowingStream<Candidacy?, any Error> {
        let path = ElectionNode.electionPath(election, root: configuration.root)
        let watch = ObservedLeader(router: router, path: path)
        return AsyncThrowingStream(unfolding: {
            while !Task.isCancelled {
                let version = watch.subscription.signal.version
                let leader: Candidacy?
                do {
                    leader = try await self.withTimeout("observing '\(election)'") {
                        let session = try await self.observerSession()
                        return try await self.firstCandidate(session, election: election, path: path, watch: true)
                    }
                    watch.succeeded()
                } catch is CancellationError {
                    return nil
                } catch {
                    // A broken connection moves to the next server on the next try, but an ensemble
                    // whose leader died answers nothing until it has elected another (a second or
                    // more): ride that out as long as the observer session itself would survive it.
                    let (failures, failingFor) = watch.failed(at: self.clock.now())
                    if failures >= ObservedLeader.minimumAttempts, failingFor >= self.configuration.observerSessionTimeout { throw error }
                    try? await Task.sleep(for: min(.milliseconds(100 * failures), .seconds(1)))
                    continue
                }
                if watch.changed(to: leader) { return .some(leader) }
                await watch.subscription.signal.wait(
                    after: version, orUntil: self.clock.now() + self.configuration.pollInterval, clock: self.clock)
            }
            return nil
        })
    }

    /// `local` when given, else the observer session.
    private func session(_ local: ZooKeeperSession?) async throws -> ZooKeeperSession {
        if let local { return local }
        return try await observerSession()
    }

    /// The first contender under `path`; with `watch`, leaves a children watch on `path` (or an
    /// existence watch when it does not exist yet).
    private func firstCandidate(_ session: ZooKeeperSession, election: String, path: String, watch: Bool) async throws -> Candidacy? {
        while true {
            guard let children = try await children(session, path, watch: watch) else {
                if watch, try await exists(session, path, watch: true) != nil { continue }
                return nil
            }
            guard let first = ElectionNode.contenders(children).first else { return nil }
            if let candidate = try await candidate(session, election: election, path: path, name: first.name) {
                return candidate
            }
            // It went between the two reads: read again.
        }
    }
}
