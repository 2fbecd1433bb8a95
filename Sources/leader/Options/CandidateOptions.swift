import ArgumentParser
import Glibc
import LeaderElection

/// Options of the subcommands that take part in an election (`campaign`, `run`).
struct CandidateOptions: ParsableArguments {
    @Option(
        name: .long, help: ArgumentHelp("Lease TTL in seconds: how long the store keeps a silent leader's lease.", valueName: "seconds"))
    var ttl: Double = 5

    @Option(name: .customLong("id"), help: ArgumentHelp("This candidate's identifier. Default: HOSTNAME-PID.", valueName: "candidate-id"))
    var candidateID: String?

    func validate() throws {
        guard ttl.isFinite, ttl > 0 else {
            throw ValidationError("--ttl \(ttl) is not a positive number of seconds; pass for example --ttl 5")
        }
    }

    /// The election timing for `--ttl`, with the library's defaults for the rest.
    func configuration() throws -> Election.Configuration {
        do {
            return try Election.Configuration(leaseTTL: .nanoseconds(Int64((ttl * 1e9).rounded())))
        } catch let error as ElectionError {
            throw CLIError("--ttl \(ttl) is unusable: \(error.message)")
        }
    }

    /// `--id`, or `HOSTNAME-PID`.
    func resolvedCandidateID() -> String {
        if let candidateID, !candidateID.isEmpty { return candidateID }
        var buffer = [UInt8](repeating: 0, count: 256)
        let named = buffer.withUnsafeMutableBufferPointer { gethostname($0.baseAddress!, $0.count - 1) == 0 }
        let host = named ? String(decoding: buffer.prefix { $0 != 0 }, as: UTF8.self) : "localhost"
        return "\(host)-\(getpid())"
    }
}
