import GRPCCore
import GRPCNIOTransportHTTP2
import LeaderElection
import Logging
import Synchronization

/// The gRPC transport every etcd connection uses.
typealias EtcdTransport = HTTP2ClientTransport.Posix

/// A connection to the members of one etcd cluster: one gRPC client per endpoint, requests that
/// fail over from member to member, per-request timeouts and the authentication token.
///
/// Its connections live while ``runConnections()`` runs (``EtcdBackend/run()`` runs it).
final class EtcdClient: Sendable {
    /// One member's address and gRPC client.
    struct Member: Sendable {
        let endpoint: EtcdConfiguration.Endpoint
        let grpc: GRPCClient<EtcdTransport>
    }

    private struct State {
        /// The member requests go to first.
        var current = 0
        /// Whether each member answered its last request (a member that did not gets the
        /// shorter connect timeout).
        var answered: [Bool]
        /// The authentication token, when the cluster requires one.
        var token: String?
    }

    let members: [Member]
    let configuration: EtcdConfiguration
    let logger: Logger
    private let state: Mutex<State>

    /// The endpoints, for messages: `127.0.0.1:2379,127.0.0.1:22379`.
    var endpointList: String { configuration.endpoints.map(\.description).joined(separator: ",") }

    /// Creates the gRPC clients (no connection is made before the first request).
    init(configuration: EtcdConfiguration, logger: Logger) throws {
        try configuration.validate()
        self.configuration = configuration
        self.logger = logger
        let security = Self.transportSecurity(configuration.tls)
        members = try configuration.endpoints.map { endpoint in
            let transport = try HTTP2ClientTransport.Posix(
                target: Self.target(endpoint),
                transportSecurity: security,
                config: .defaults { config in
                    // Reconnect quickly: a connection the member closed (seen every few seconds
                    // under heavy request rates on etcd 3.4) should cost milliseconds, and a
                    // restarted member should be usable again well within a TTL.
                    config.backoff = .init(initial: .milliseconds(10), max: .seconds(1), multiplier: 2, jitter: 0.2)
                    // Elections send little: do not hold writes back to batch them.
                    config.connection.flushCoalescing = nil
                }
            )
            return Member(endpoint: endpoint, grpc: GRPCClient(transport: transport))
        }
        state = Mutex(State(answered: Array(repeating: false, count: members.count)))
    }

    /// An IP literal is an IP target (a DNS target would send it as TLS server name, which TLS
    /// forbids); anything else is resolved by DNS.
    private static func target(_ endpoint: EtcdConfiguration.Endpoint) -> any ResolvableTarget {
        if endpoint.host.contains(":") { return ResolvableTargets.IPv6.ipv6(address: endpoint.host, port: endpoint.port) }
        let parts = endpoint.host.split(separator: ".", omittingEmptySubsequences: false)
        if parts.count == 4, parts.allSatisfy({ UInt8($0) != nil }) {
            return ResolvableTargets.IPv4.ipv4(address: endpoint.host, port: endpoint.port)
        }
        return ResolvableTargets.DNS.dns(host: endpoint.host, port: endpoint.port)
    }

    private static func transportSecurity(_ tls: EtcdConfiguration.TLS?) -> EtcdTransport.TransportSecurity {
        guard let tls else { return .plaintext }
        return .tls { config in
            if let caFile = tls.caFile {
                config.trustRoots = .certificates([.file(path: caFile, format: .pem)])
            }
            if let certificateFile = tls.certificateFile, let keyFile = tls.keyFile {
                config.certificateChain = [.file(path: certificateFile, format: .pem)]
                config.privateKey = .file(path: keyFile, format: .pem)
            }
            if !tls.verifyHostname { config.serverCertificateVerification = .noHostnameVerification }
        }
    }

    /// Maintains the connections until ``shutdown()`` or cancellation.
    func runConnections() async throws {
        try await withThrowingDiscardingTaskGroup { group in
            for member in members {
                group.addTask { try await member.grpc.runConnections() }
            }
        }
    }

    /// Lets in-flight requests finish, then closes the connections.
    func shutdown() {
        for member in members { member.grpc.beginGracefulShutdown() }
    }

    // MARK: - Member selection

    /// The member to use next and the timeout it deserves.
    private func pick() -> (index: Int, timeout: Duration) {
        state.withLock { state in
            let timeout =
                state.answered[state.current]
                ? configuration.requestTimeout
                : min(configuration.connectTimeout, configuration.requestTimeout)
            return (state.current, timeout)
        }
    }

    private func markAnswered(_ index: Int) {
        state.withLock { $0.answered[index] = true }
    }

    /// Records that `index` failed and moves on to the next member (unless another caller already did).
    func markFailed(_ index: Int) {
        state.withLock { state in
            state.answered[index] = false
            if state.current == index { state.current = (index + 1) % members.count }
        }
    }

    // MARK: - Requests

    /// Runs a unary request on the current member, failing over to the others on transport
    /// failures, each attempt bounded by the request (or connect) timeout.
    /// - Parameters:
    ///   - what: The request, for messages ("lease grant").
    ///   - lease: The lease the request concerns, so that "lease not found" maps to `ElectionError.leaseExpired(_:)`.
    ///   - authenticated: Whether to send the token (false only for `Authenticate` itself).
    func unary<Result: Sendable>(
        _ what: String,
        lease: LeaseID? = nil,
        authenticated: Bool = true,
        _ body: (GRPCClient<EtcdTransport>, Metadata, CallOptions) async throws -> Result
    ) async throws -> Result {
        let attempts = max(2, members.count * 2)
        var lastFailure = "no attempt was made"
        var refreshedToken = false
        var attempt = 0
        while attempt < attempts {
            try Task.checkCancellation()
            let (index, timeout) = pick()
            var options = CallOptions.defaults
            options.timeout = timeout
            options.waitForReady = false
            do {
                let metadata = authenticated ? try await self.metadata(stream: false) : Metadata()
                let result = try await body(members[index].grpc, metadata, options)
                markAnswered(index)
                return result
            } catch {
                if Task.isCancelled { throw CancellationError() }
                // Already explained (a failed login inside this request): pass it on.
                if let error = error as? ElectionError { throw error }
                switch EtcdFailure(error) {
                case .leaseNotFound:
                    markAnswered(index)
                    if let lease { throw ElectionError.leaseExpired(lease) }
                    throw ElectionError(code: .leaseExpired, message: "etcd: \(what): the lease no longer exists", cause: error)
                case .authentication where authenticated && !refreshedToken:
                    // The token expired (or the auth store changed): log in again, once.
                    refreshedToken = true
                    invalidateToken()
                    continue
                case .rejected(let reason):
                    markAnswered(index)
                    throw ElectionError.storeUnavailable(
                        "etcd at \(members[index].endpoint) rejected the \(what): \(reason); check the user's permissions and the request",
                        cause: error)
                case .authentication, .transient:
                    lastFailure = "\(members[index].endpoint): \(EtcdFailure.describe(error))"
                    logger.debug(
                        "etcd request failed; trying the next member", metadata: ["request": "\(what)", "failure": "\(lastFailure)"])
                    markFailed(index)
                    attempt += 1
                    // Every member failed once: give a leader election in the cluster a moment.
                    if attempt % members.count == 0 && attempt < attempts {
                        try await Task.sleep(for: .milliseconds(100 * attempt / members.count))
                    }
                }
            }
        }
        throw ElectionError.storeUnavailable(
            "etcd did not answer the \(what) at \(endpointList) (last failure: \(lastFailure)); check that the members run and are reachable"
        )
    }

    /// Runs one streaming call on the current member. On a failure the member is marked failed
    /// (so the next call goes to another one) and the error is mapped to `ElectionError`;
    /// ``EtcdWatchCompacted`` is passed on as it is.
    func stream<Result: Sendable>(
        _ what: String,
        _ body: (GRPCClient<EtcdTransport>, Metadata, CallOptions) async throws -> Result
    ) async throws -> Result {
        let (index, _) = pick()
        var options = CallOptions.defaults
        options.waitForReady = false
        do {
            let metadata = try await self.metadata(stream: true)
            let result = try await body(members[index].grpc, metadata, options)
            return result
        } catch {
            if Task.isCancelled { throw CancellationError() }
            if let error = error as? ElectionError, error.code == .leaseExpired { throw error }
            // The member answered; the caller reads again and watches from a newer revision.
            if error is EtcdWatchCompacted { throw error }
            markFailed(index)
            if case .authentication = EtcdFailure(error) { invalidateToken() }
            throw ElectionError.storeUnavailable(
                "the \(what) on etcd member \(members[index].endpoint) failed (\(EtcdFailure.describe(error))); it is retried on \(endpointList)",
                cause: error
            )
        }
    }

    // MARK: - Authentication

    /// Request metadata: the token when authentication is configured, and for streams
    /// `hasleader`, so that a member cut off from its cluster ends the stream instead of going quiet.
    private func metadata(stream: Bool) async throws -> Metadata {
        var metadata = Metadata()
        if stream { metadata.addString("true", forKey: "hasleader") }
        if configuration.credentials != nil {
            metadata.addString(try await token(), forKey: "token")
        }
        return metadata
    }

    private func token() async throws -> String {
        if let token = state.withLock({ $0.token }) { return token }
        guard let credentials = configuration.credentials else { return "" }
        let request = Etcdserverpb_AuthenticateRequest.with {
            $0.name = credentials.username
            $0.password = credentials.password
        }
        let response = try await unary("authentication of user \(credentials.username)", authenticated: false) { grpc, metadata, options in
            try await Etcdserverpb_Auth.Client(wrapping: grpc).authenticate(request, metadata: metadata, options: options)
        }
        state.withLock { $0.token = response.token }
        logger.debug("authenticated to etcd", metadata: ["user": "\(credentials.username)"])
        return response.token
    }

    /// Forgets the token, so that the next request logs in again.
    func invalidateToken() {
        state.withLock { $0.token = nil }
    }
}
