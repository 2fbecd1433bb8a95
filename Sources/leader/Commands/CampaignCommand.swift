import ArgumentParser
import LeaderElection

/// `leader campaign NAME [VALUE]`: campaign, hold leadership until `SIGINT`/`SIGTERM`, resign.
struct CampaignCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "campaign",
        abstract: "Campaign until elected, then hold leadership until SIGINT or SIGTERM, then resign.",
        discussion: """
            Prints one event line per change on standard output: 'campaigning', 'elected ... token=T', \
            'lost ... cause=C deadline_mono_ns=D' (then campaigns again), 'resigned' on shutdown. \
            Resigning revokes the lease, so the next candidate is elected at once; a crashed leader \
            is replaced once its lease expires (--ttl).
            """
    )

    @Argument(help: "The election's name, shared by its candidates.")
    var name: String

    @Argument(help: "What observers see while this candidate leads. Default: the candidate ID.")
    var value: String?

    @OptionGroup var store: StoreOptions
    @OptionGroup var candidate: CandidateOptions

    func validate() throws {
        guard !name.isEmpty else { throw ValidationError("the election NAME is empty; pass a name such as 'jobs'") }
    }

    func run() async throws {
        let logger = store.makeLogger()
        let configuration = try candidate.configuration()
        try await store.withBackend(logger: logger) { backend in
            let election = Election(
                name: name,
                candidateID: candidate.resolvedCandidateID(),
                value: value,
                backend: backend,
                configuration: configuration,
                logger: logger
            )
            try await ServiceRunner.run(CampaignService(loop: LeadershipLoop(election: election, logger: logger)), logger: logger)
        }
    }
}
