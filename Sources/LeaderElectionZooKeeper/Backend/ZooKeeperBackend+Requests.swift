import Foundation
import LeaderElection
import NIOCore

/// The ZooKeeper requests an election needs, with their answers decoded, and the mapping of
/// failures to `ElectionError`.
extension ZooKeeperBackend {
    /// The backend's own session for reads and watches, opened when first needed and again after
    /// it expired.
    func observerSession() async throws -> ZooKeeperSession {
        if let session = observer.withLock({ $0 }), !session.isExpired { return session }
        let session = try await withTimeout("opening a ZooKeeper session") {
            try await ZooKeeperSession.open(
                endpoints: self.endpoints,
                timeoutMilliseconds: Self.milliseconds(self.configuration.observerSessionTimeout),
                connectTimeout: self.configuration.connectTimeout,
                replyTimeout: self.replyTimeout(sessionTimeout: self.configuration.observerSessionTimeout),
                group: self.group,
                router: self.router
            )
        }
        let kept = observer.withLock { observer -> ZooKeeperSession in
            if let current = observer, !current.isExpired { return current }
            observer = session
            return session
        }
        if kept !== session { session.abandon() }
        return kept
    }

    /// The session of `lease` when this backend granted it.
    func leaseSession(_ lease: LeaseID) -> ZooKeeperSession? {
        leases.withLock { $0[lease.rawValue]?.session }
    }

    /// The children of `path`; nil when it does not exist.
    func children(_ session: ZooKeeperSession, _ path: String, watch: Bool = false) async throws -> [String]? {
        do {
            var reply = try await session.request(ZooKeeperRequest.getChildren(path: path, watch: watch), path: path)
            return try reply.body.readJuteStringVector()
        } catch let failure as ZooKeeperFailure where failure.isNoNode {
            return nil
        }
    }

    /// The data and stat of `path`; nil when it does not exist.
    func data(_ session: ZooKeeperSession, _ path: String) async throws -> (String, ZooKeeperStat)? {
        do {
            var reply = try await session.request(ZooKeeperRequest.getData(path: path, watch: false), path: path)
            let bytes = try reply.body.readJuteBuffer() ?? []
            let stat = try ZooKeeperStat(from: &reply.body)
            return (String(decoding: bytes, as: UTF8.self), stat)
        } catch let failure as ZooKeeperFailure where failure.isNoNode {
            return nil
        }
    }

    /// The stat of `path`, setting a watch on it; nil when it does not exist.
    func exists(_ session: ZooKeeperSession, _ path: String, watch: Bool) async throws -> ZooKeeperStat? {
        do {
            var reply = try await session.request(ZooKeeperRequest.exists(path: path, watch: watch), path: path)
            return try ZooKeeperStat(from: &reply.body)
        } catch let failure as ZooKeeperFailure where failure.isNoNode {
            return nil
        }
    }

    /// Deletes `path`; returns false when it did not exist.
    @discardableResult
    func delete(_ session: ZooKeeperSession, _ path: String) async throws -> Bool {
        do {
            _ = try await session.request(ZooKeeperRequest.delete(path: path), path: path)
            return true
        } catch let failure as ZooKeeperFailure where failure.isNoNode {
            return false
        }
    }

    /// Creates `path` and its missing parents as persistent znodes (as kazoo's `ensure_path`).
    func ensurePath(_ session: ZooKeeperSession, _ path: String) async throws {
        if try await exists(session, path, watch: false) != nil { return }
        for ancestor in ElectionNode.ancestry(of: path) {
            do {
                _ = try await session.request(ZooKeeperRequest.create(path: ancestor, data: [], mode: .persistent), path: ancestor)
            } catch let failure as ZooKeeperFailure where failure.isNodeExists {
                continue
            }
        }
    }

    /// The candidacy znode `name` under `path` as a `Candidacy`; nil when it is gone.
    func candidate(_ session: ZooKeeperSession, election: String, path: String, name: String) async throws -> Candidacy? {
        let key = path + "/" + name
        guard let (value, stat) = try await data(session, key) else { return nil }
        return Candidacy(election: election, key: key, value: value, lease: LeaseID(stat.ephemeralOwner), token: FencingToken(stat.czxid))
    }

    /// Runs `body` within ``ZooKeeperConfiguration/requestTimeout`` and maps its failures:
    /// an expired session to `ElectionError.Code.leaseExpired` (for `lease`), a session timeout
    /// shorter than the TTL to `ElectionError.Code.leaseExpired` (for `lease`; without one, at
    /// the grant, to `ElectionError.Code.invalidConfiguration`), anything else to
    /// `ElectionError.Code.storeUnavailable`.
    func withTimeout<T: Sendable>(
        _ what: String,
        lease: LeaseID? = nil,
        _ body: @escaping @Sendable () async throws -> T
    ) async throws -> T {
        let limit = configuration.requestTimeout
        let ensemble = configuration.description
        do {
            return try await withThrowingTaskGroup(of: T?.self) { group in
                group.addTask { try await body() }
                group.addTask {
                    try await Task.sleep(for: limit)
                    return nil
                }
                defer { group.cancelAll() }
                guard let first = try await group.next(), let value = first else {
                    throw ElectionError.storeUnavailable(
                        "ZooKeeper at \(ensemble) did not answer within \(limit) while \(what); check that the servers run and that the URL's hosts and ports are right"
                    )
                }
                return value
            }
        } catch let failure as ZooKeeperFailure {
            switch failure {
            case .sessionExpired:
                if let lease {
                    forget(lease)
                    throw ElectionError.leaseExpired(lease)
                }
                throw ElectionError.storeUnavailable("the ZooKeeper session used for \(what) expired; retry")
            case .connectionLost(let why):
                throw ElectionError.storeUnavailable(
                    "could not reach ZooKeeper at \(ensemble) while \(what) (\(why)); check that the servers run and that the URL's hosts and ports are right",
                    cause: failure)
            case .server, .malformed:
                throw ElectionError.storeUnavailable("ZooKeeper at \(ensemble) refused \(what): \(failure)", cause: failure)
            case .timeoutTooShort(let granted, let required, let server):
                let advice =
                    "raise maxSessionTimeout in every server's zoo.cfg to at least \(required) ms, or use a TTL of at most \(granted) ms"
                guard let lease else {
                    throw ElectionError.invalidConfiguration(
                        "ZooKeeper at \(ensemble) (server \(server)) granted a session timeout of \(granted) ms, shorter than the lease TTL (\(required) ms); \(advice)"
                    )
                }
                forget(lease)
                throw ElectionError(
                    code: .leaseExpired,
                    message:
                        "the session of lease \(lease) moved to ZooKeeper server \(server), which granted it a timeout of \(granted) ms, shorter than the lease TTL (\(required) ms): the ensemble could expire it before this candidate's deadline, so it was closed and its candidacy is gone; \(advice)",
                    cause: failure
                )
            }
        }
    }

    /// Drops what the backend kept about `lease`, closing its connection.
    func forget(_ lease: LeaseID) {
        let record = leases.withLock { $0.removeValue(forKey: lease.rawValue) }
        record?.session.abandon()
    }

    /// How long a session waits for an answer before it gives its connection up and moves to
    /// another server: a third of its timeout (at least 100 ms), at most the request timeout.
    func replyTimeout(sessionTimeout: Duration) -> Duration {
        max(.milliseconds(100), min(configuration.requestTimeout, sessionTimeout / 3))
    }

    /// A new name prefix for a candidacy znode: kazoo's form, a UUID's 32 hexadecimal digits.
    static func newPrefix() -> String {
        UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "") + ElectionNode.marker
    }

    /// `duration` in whole milliseconds, rounded up, clamped to `Int32`.
    static func milliseconds(_ duration: Duration) -> Int32 {
        let (seconds, attoseconds) = duration.components
        let total = seconds * 1000 + (attoseconds + 999_999_999_999_999) / 1_000_000_000_000_000
        return Int32(clamping: total)
    }
}
