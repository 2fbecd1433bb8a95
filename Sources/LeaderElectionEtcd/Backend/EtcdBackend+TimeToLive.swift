import LeaderElection

extension EtcdBackend {
    /// The time the store still gives `lease` (whole seconds, as etcd counts), or nil when the
    /// lease no longer exists. For diagnostics: `Election` never relies on the store's clock.
    public func remainingTime(of lease: LeaseID) async throws -> Duration? {
        let request = Etcdserverpb_LeaseTimeToLiveRequest.with { $0.id = lease.rawValue }
        let response = try await client.unary("lease time-to-live") { grpc, metadata, options in
            try await Etcdserverpb_Lease.Client(wrapping: grpc).leaseTimeToLive(request, metadata: metadata, options: options)
        }
        return response.ttl < 0 ? nil : .seconds(response.ttl)
    }
}
