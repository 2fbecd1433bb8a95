import ArgumentParser
import Glibc
import LeaderElection
import LeaderElectionStores
import Logging

/// Options every subcommand shares: where the store is and how much to log.
struct StoreOptions: ParsableArguments {
    @Option(
        name: .long,
        help: ArgumentHelp(
            "The store: sqlite:PATH (a file shared by the processes of one host), etcd://HOST:PORT[,HOST:PORT...] (etcds:// for TLS; options ?cacert=&cert=&key=, user:password@), postgres://USER:PASSWORD@HOST:PORT/DB or zookeeper://HOST:PORT[,HOST:PORT...][/ROOT]. Default: $LEADER_STORE.",
            valueName: "url"
        )
    )
    var store: String?

    @Option(
        name: .customLong("log-level"),
        help: ArgumentHelp("Diagnostics on standard error: trace, debug, info, notice, warning, error or critical.", valueName: "level")
    )
    var logLevel: Logger.Level = .warning

    /// The store URL from `--store`, else from `LEADER_STORE`.
    func storeURL() throws -> StoreURL {
        let environment = getenv("LEADER_STORE").map { String(cString: $0) }
        guard let text = store ?? environment, !text.isEmpty else {
            throw CLIError("no store given: pass --store URL (for example --store sqlite:/tmp/leader.db) or set LEADER_STORE")
        }
        return try StoreURL(text)
    }

    /// Runs `body` with the backend of the store the options name, running beside it (see
    /// ``ElectionStore/withBackend(url:logger:_:)``).
    func withBackend<T>(logger: Logger, _ body: (any ElectionBackend) async throws -> T) async throws -> T {
        try await ElectionStore.withBackend(url: storeURL(), logger: logger, body)
    }

    /// A logger writing to standard error at `--log-level`.
    func makeLogger(label: String = "leader") -> Logger {
        var logger = Logger(label: label) { StreamLogHandler.standardError(label: $0) }
        logger.logLevel = logLevel
        return logger
    }
}

extension Logger.Level: @retroactive ExpressibleByArgument {}
