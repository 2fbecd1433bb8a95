import GRPCCore

/// How a failed etcd request is handled, from its gRPC status.
enum EtcdFailure {
    /// `etcdserver: requested lease not found`: the lease is gone. Final.
    case leaseNotFound
    /// The token expired or is missing: authenticate again and retry.
    case authentication
    /// The member could not serve the request now (unreachable, no leader, timed out): try another.
    case transient
    /// The request itself was refused (permissions, invalid argument): retrying elsewhere will not help.
    case rejected(String)

    init(_ error: any Error) {
        guard let error = error as? RPCError else {
            self = .transient
            return
        }
        let message = error.message
        switch error.code {
        case .notFound where message.contains("lease not found"):
            self = .leaseNotFound
        case .unauthenticated:
            self = message.contains("invalid auth token") ? .authentication : .rejected(message)
        case .invalidArgument where message.contains("auth store is old") || message.contains("user name is empty"):
            self = .authentication
        case .unavailable, .deadlineExceeded, .unknown, .cancelled, .aborted, .resourceExhausted, .internalError:
            self = .transient
        default:
            self = .rejected("\(error.code): \(message)")
        }
    }

    /// A short description of a request's failure.
    static func describe(_ error: any Error) -> String {
        if let error = error as? RPCError { return "\(error.code): \(error.message)" }
        return "\(error)"
    }
}
