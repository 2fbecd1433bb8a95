import LeaderElection
import LeaderElectionSQLite
import Logging

// Usage: SQLiteElection [FILE] [ID]. Run it in two terminals on the same file: one leads and
// prints its fencing token, the other waits; stop the leader (Ctrl-C) and the other takes over
// when the lease runs out (5 s). A service that hands over at once on SIGTERM puts the election in
// a ServiceLifecycle ServiceGroup instead (see the LeaderElection documentation).
let arguments = CommandLine.arguments.dropFirst()
let path = arguments.first ?? "/tmp/sqlite-election.sqlite"
let id = arguments.dropFirst().first ?? "candidate-\(Int.random(in: 1000...9999))"
let logger = Logger(label: "sqlite-election")

try await SQLiteBackend.withBackend(configuration: SQLiteConfiguration(path: path), logger: logger) { backend in
    let election = Election(
        name: "example", candidateID: id, backend: backend,
        configuration: try Election.Configuration(leaseTTL: .seconds(5)), logger: logger
    )
    print("\(id): campaigning on \(path)")
    try await election.withLeadership { leadership in
        print("\(id): leading with fencing token \(leadership.token.rawValue)")
        // The task is cancelled when leadership is lost or its local deadline passes.
        while true { try await Task.sleep(for: .seconds(3600)) }
    }
}
