import NIOCore
import Synchronization

/// A ZooKeeper session: an id and password the ensemble knows, kept across connections.
///
/// When its connection breaks, the next request reconnects to the next server of the ensemble
/// with the same session id (and the last zxid seen, so that no server behind it is used); the
/// session survives as long as the ensemble heard from it within its timeout. Nothing pings on
/// its own: the owner decides when the session is kept alive (an election lease is renewed only
/// by ``sync(_:)``, so a stopped process's session expires).
///
/// Each server negotiates the timeout anew when the session connects to it (clamped to its own
/// `minSessionTimeout`...`maxSessionTimeout`). A session given a `minimumTimeoutMilliseconds`
/// is ended as soon as a server grants less (see ``ZooKeeperFailure/timeoutTooShort(granted:required:server:)``).
final class ZooKeeperSession: Sendable {
    /// One server of the ensemble.
    struct Endpoint: Sendable, Hashable {
        var host: String
        var port: Int
    }

    private struct State {
        var sessionID: Int64 = 0
        var password: [UInt8] = []
        var negotiatedTimeoutMilliseconds: Int32 = 0
        var lastZxid: Int64 = 0
        var connection: ZooKeeperConnection?
        var connecting = false
        var waiters: [CheckedContinuation<Void, Never>] = []
        var nextEndpoint = 0
        var expired = false
        /// Counts connection attempts, so that a late close of an old connection is ignored.
        var attempts: UInt64 = 0
        var currentAttempt: UInt64 = 0
    }

    let endpoints: [Endpoint]
    let requestedTimeoutMilliseconds: Int32
    /// The shortest timeout the owner can live with, or nil; checked on every connection.
    let minimumTimeoutMilliseconds: Int32?
    let connectTimeout: Duration
    let replyTimeout: Duration
    private let group: any EventLoopGroup
    private let router: WatchRouter
    private let state = Mutex(State())

    private init(
        endpoints: [Endpoint],
        timeoutMilliseconds: Int32,
        minimumTimeoutMilliseconds: Int32?,
        connectTimeout: Duration,
        replyTimeout: Duration,
        group: any EventLoopGroup,
        router: WatchRouter
    ) {
        self.endpoints = endpoints
        self.requestedTimeoutMilliseconds = timeoutMilliseconds
        self.minimumTimeoutMilliseconds = minimumTimeoutMilliseconds
        self.connectTimeout = connectTimeout
        self.replyTimeout = replyTimeout
        self.group = group
        self.router = router
        // Start at a random server, as ZooKeeper's clients do, so that sessions spread.
        state.withLock { $0.nextEndpoint = Int.random(in: 0..<max(endpoints.count, 1)) }
    }

    /// Creates a session on the first server that answers.
    /// - Parameter minimumTimeoutMilliseconds: when a server grants less, on this first
    ///   connection or any later one, the session is closed and the call that connected throws
    ///   ``ZooKeeperFailure/timeoutTooShort(granted:required:server:)``.
    static func open(
        endpoints: [Endpoint],
        timeoutMilliseconds: Int32,
        minimumTimeoutMilliseconds: Int32? = nil,
        connectTimeout: Duration,
        replyTimeout: Duration,
        group: any EventLoopGroup,
        router: WatchRouter
    ) async throws -> ZooKeeperSession {
        let session = ZooKeeperSession(
            endpoints: endpoints,
            timeoutMilliseconds: timeoutMilliseconds,
            minimumTimeoutMilliseconds: minimumTimeoutMilliseconds,
            connectTimeout: connectTimeout,
            replyTimeout: replyTimeout,
            group: group,
            router: router
        )
        _ = try await session.connection()
        return session
    }

    /// The session id the ensemble assigned.
    var sessionID: Int64 { state.withLock { $0.sessionID } }

    /// The session timeout the server granted, in milliseconds.
    var negotiatedTimeoutMilliseconds: Int32 { state.withLock { $0.negotiatedTimeoutMilliseconds } }

    /// Whether the ensemble said the session expired (or it was closed).
    var isExpired: Bool { state.withLock { $0.expired } }

    /// Sends a request; returns its reply when the server accepted it.
    /// - Throws: ``ZooKeeperFailure``: `.server` for an error code, `.sessionExpired`, or
    ///   `.connectionLost` (the request may or may not have taken effect).
    func request(_ request: (ZooKeeperOpCode, ByteBuffer), path: String) async throws -> ZooKeeperReply {
        let connection = try await connection()
        let reply = try await connection.send(request.0, request.1)
        if reply.zxid > 0 {
            state.withLock { $0.lastZxid = max($0.lastZxid, reply.zxid) }
        }
        switch reply.error {
        case 0:
            return reply
        case ZooKeeperFailure.sessionExpiredCode:
            markExpired()
            throw ZooKeeperFailure.sessionExpired
        default:
            throw ZooKeeperFailure.server(code: reply.error, path: path)
        }
    }

    /// Pings the server and returns once it answered. A ping is answered by the server the
    /// session is connected to, on its own: it keeps the connection and the session alive at that
    /// server, but says nothing about the rest of the ensemble (a follower cut off from the
    /// ensemble's leader answers pings until it notices, up to `syncLimit` ticks later).
    func ping() async throws {
        try await connection().ping()
    }

    /// Sends `sync` for `path` and returns once the server answered: the server forwarded it to
    /// the ensemble's leader and answered only after it had caught up with the leader as of the
    /// moment the leader processed it, which was after this call began. A server cut off from the
    /// leader cannot answer it.
    func sync(_ path: String = "/") async throws {
        _ = try await request(ZooKeeperRequest.sync(path: path), path: path)
    }

    /// Has the ensemble commit a transaction that changes nothing (a `multi` holding one `check`
    /// of `path`) and returns once it is answered. Unlike ``sync(_:)``, which the ensemble's
    /// leader answers on its own authority, this needs a quorum: a leader cut off from its
    /// followers keeps answering syncs until it notices, `syncLimit` ticks later, while the others
    /// may already have elected a new leader and expired the session; it cannot commit this. The
    /// leader also checks, before committing, that the session has not expired.
    /// - Throws: ``ZooKeeperFailure``, as ``request(_:path:)``; `.server` with the operation's
    ///   own error code when the check failed.
    func checkThroughQuorum(_ path: String = "/") async throws {
        var reply = try await request(ZooKeeperRequest.checkThroughQuorum(path: path), path: path)
        // MultiResponse: the operation's MultiHeader (type 13 and err 0 when it succeeded, type -1
        // and an ErrorResult otherwise), then a closing header with done set.
        let type = try reply.body.readJuteInt()
        _ = try reply.body.readJuteBool()
        let error = try reply.body.readJuteInt()
        if type == ZooKeeperOpCode.check.rawValue, error == 0 { return }
        if type == -1, let code = try? reply.body.readJuteInt(), code != 0 {
            throw ZooKeeperFailure.server(code: code, path: path)
        }
        throw ZooKeeperFailure.server(code: error == 0 ? -1 : error, path: path)
    }

    /// Ends the session at the server (its ephemeral znodes go at once) and closes the connection.
    /// Whatever happens, the session is unusable afterwards; if the server could not be told, it
    /// expires the session after its timeout.
    func close() async throws {
        defer { markExpired() }
        let connection: ZooKeeperConnection
        do {
            connection = try await self.connection()
        } catch ZooKeeperFailure.sessionExpired {
            return
        }
        _ = try await connection.send(.closeSession, ByteBuffer())
    }

    /// Closes the connection without ending the session (as a crashed process would).
    func abandon() {
        let connection = state.withLock { state -> ZooKeeperConnection? in
            state.expired = true
            return state.connection
        }
        connection?.close()
    }

    /// Closes the current connection, keeping the session: the next request reconnects.
    func dropConnection() {
        state.withLock { $0.connection }?.close()
    }

    private func markExpired() {
        let connection = state.withLock { state -> ZooKeeperConnection? in
            state.expired = true
            defer { state.connection = nil }
            return state.connection
        }
        connection?.close()
        router.wakeAll()
    }

    /// The current connection, reconnecting (one caller at a time) when there is none.
    private func connection() async throws -> ZooKeeperConnection {
        enum Step {
            case ready(ZooKeeperConnection)
            case wait
            case connect
            case expired
        }
        while true {
            let step = state.withLock { state -> Step in
                if state.expired { return .expired }
                if let connection = state.connection { return .ready(connection) }
                if state.connecting { return .wait }
                state.connecting = true
                return .connect
            }
            switch step {
            case .ready(let connection):
                return connection
            case .expired:
                throw ZooKeeperFailure.sessionExpired
            case .wait:
                await withCheckedContinuation { continuation in
                    let resumeNow = state.withLock { state -> Bool in
                        guard state.connecting else { return true }
                        state.waiters.append(continuation)
                        return false
                    }
                    if resumeNow { continuation.resume() }
                }
                // Whatever the attempt gave, one try of our own: it ends connected or throws.
                if let connection = state.withLock({ $0.connection }) { return connection }
                if isExpired { throw ZooKeeperFailure.sessionExpired }
                throw ZooKeeperFailure.connectionLost("no server of \(describeEndpoints()) answered")
            case .connect:
                do {
                    let connection = try await establish()
                    finishConnecting(connection)
                    return connection
                } catch {
                    finishConnecting(nil)
                    throw error
                }
            }
        }
    }

    private func finishConnecting(_ connection: ZooKeeperConnection?) {
        let waiters = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.connecting = false
            if let connection { state.connection = connection }
            defer { state.waiters = [] }
            return state.waiters
        }
        for waiter in waiters { waiter.resume() }
    }

    /// Tries the servers in turn, starting after the one used last.
    private func establish() async throws -> ZooKeeperConnection {
        let (sessionID, password, lastZxid, start) = state.withLock { ($0.sessionID, $0.password, $0.lastZxid, $0.nextEndpoint) }
        var failures: [String] = []
        for offset in 0..<endpoints.count {
            try Task.checkCancellation()
            let index = (start + offset) % endpoints.count
            let endpoint = endpoints[index]
            let attempt = state.withLock { state -> UInt64 in
                state.attempts += 1
                return state.attempts
            }
            let connection: ZooKeeperConnection
            do {
                connection = try await ZooKeeperConnection.open(
                    host: endpoint.host,
                    port: endpoint.port,
                    group: group,
                    connectTimeout: connectTimeout,
                    replyTimeout: replyTimeout,
                    timeoutMilliseconds: requestedTimeoutMilliseconds,
                    sessionID: sessionID,
                    password: password,
                    lastZxidSeen: lastZxid,
                    onWatchEvent: { [router] event in
                        if event.type == -1 {
                            // A session state change (disconnected, expired): every watch may be affected.
                            router.wakeAll()
                        } else {
                            router.deliver(path: event.path)
                        }
                    },
                    onClose: { [weak self] in self?.connectionClosed(attempt: attempt) }
                )
            } catch ZooKeeperFailure.sessionExpired {
                markExpired()
                throw ZooKeeperFailure.sessionExpired
            } catch {
                failures.append("\(error)")
                continue
            }
            state.withLock { state in
                state.sessionID = connection.response.sessionID
                state.password = connection.response.password
                state.negotiatedTimeoutMilliseconds = connection.response.timeoutMilliseconds
                state.nextEndpoint = (index + 1) % endpoints.count
                state.currentAttempt = attempt
            }
            let granted = connection.response.timeoutMilliseconds
            if let minimum = minimumTimeoutMilliseconds, granted < minimum {
                // This server lowered the session's timeout (its maxSessionTimeout is lower than the
                // others'), and the ensemble's leader now counts the session's expiry with it: the
                // session may expire before the owner's local deadline. Fail closed, and end the
                // session at once so that its ephemeral znodes (candidacies) go now rather than at
                // that shorter expiry.
                _ = try? await connection.send(.closeSession, ByteBuffer())
                markExpired()
                connection.close()
                throw ZooKeeperFailure.timeoutTooShort(granted: granted, required: minimum, server: connection.endpoint)
            }
            if sessionID != 0 {
                // Watches do not move with the session to a new connection: waiters re-read and
                // set them again.
                router.wakeAll()
            }
            return connection
        }
        state.withLock { $0.nextEndpoint = (start + 1) % max(endpoints.count, 1) }
        throw ZooKeeperFailure.connectionLost("no server of \(describeEndpoints()) answered (\(failures.joined(separator: "; ")))")
    }

    private func connectionClosed(attempt: UInt64) {
        state.withLock { state in
            if state.currentAttempt == attempt { state.connection = nil }
        }
        router.wakeAll()
    }

    private func describeEndpoints() -> String {
        endpoints.map { "\($0.host):\($0.port)" }.joined(separator: ",")
    }
}
