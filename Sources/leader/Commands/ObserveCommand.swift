import ArgumentParser
import LeaderElection
import ServiceLifecycle

/// `leader observe NAME`: print the leader now and after each change.
struct ObserveCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "observe",
        abstract: "Print the election's leader now and each time it changes, including when there is none.",
        discussion: """
            One line per change: 'leader name=N key=K value=V token=T lease=L mono_ns=M', or \
            'leader none name=N mono_ns=M' while there is no leader. Runs until SIGINT or SIGTERM.
            """
    )

    @Argument(help: "The election's name.")
    var name: String

    @OptionGroup var store: StoreOptions

    func validate() throws {
        guard !name.isEmpty else { throw ValidationError("the election NAME is empty; pass a name such as 'jobs'") }
    }

    func run() async throws {
        let logger = store.makeLogger()
        try await store.withBackend(logger: logger) { backend in
            try await ServiceRunner.run(ObserveService(backend: backend, election: name), logger: logger)
        }
    }
}

/// Prints the leader of an election on each change until graceful shutdown.
struct ObserveService: Service {
    /// The store.
    let backend: any ElectionBackend
    /// The election's name.
    let election: String

    func run() async throws {
        let backend = self.backend
        let election = self.election
        try await cancelWhenGracefulShutdown {
            do {
                for try await leader in LeaderObservation(backend.watchLeader(election: election)) {
                    if let leader {
                        EventWriter.standardOutput.emit(
                            "leader",
                            [
                                "name": election, "key": leader.key, "value": leader.value, "token": "\(leader.token)",
                                "lease": "\(leader.lease)",
                            ]
                        )
                    } else {
                        EventWriter.standardOutput.emit("leader none", ["name": election])
                    }
                }
            } catch is CancellationError {
                return
            } catch {
                if Task.isCancelled { return }
                throw error
            }
        }
    }
}
