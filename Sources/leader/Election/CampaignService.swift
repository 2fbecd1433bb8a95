import LeaderElection
import ServiceLifecycle

/// `leader campaign` as a `Service`: campaigns, holds leadership until graceful shutdown, then
/// resigns (revoking the lease, so that the next candidate is elected at once).
struct CampaignService: Service {
    /// The campaign loop and its events.
    let loop: LeadershipLoop

    func run() async throws {
        let loop = self.loop
        _ = try await cancelWhenGracefulShutdown {
            try await loop.run { _ in
                // Hold leadership until the term ends (loss or shutdown cancels this sleep).
                while true { try await Task.sleep(for: .seconds(3600)) }
            }
        }
    }
}
