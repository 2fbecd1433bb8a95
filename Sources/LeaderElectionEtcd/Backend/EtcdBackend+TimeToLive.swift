import LeaderElection

extension EtcdBackend {
    /// The time the store still gives `lease` (whole seconds, as etcd counts), or nil when the
    /// lease no longer exists. For diagnostics: `Election` never relies on the store's clock.
    public func remainingTime(of lease: LeaseID) async throws -> Duration? {
        let (remaining, _) = try await timeToLive(of: lease)
        return remaining < 0 ? nil : .seconds(remaining)
    }

    /// etcd's answer for `lease`: the whole seconds it has left (negative when it is gone) and the
    /// TTL it was granted.
    func timeToLive(of lease: LeaseID) async throws -> (remaining: Int64, granted: Int64) {
        let request = Etcdserverpb_LeaseTimeToLiveRequest.with { $0.id = lease.rawValue }
        let response = try await client.unary("lease time-to-live") { grpc, metadata, options in
            try await Etcdserverpb_Lease.Client(wrapping: grpc).leaseTimeToLive(request, metadata: metadata, options: options)
        }
        return (response.ttl, response.grantedTtl)
    }
}
