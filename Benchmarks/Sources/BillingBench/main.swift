// billing-bench: renewals per second end to end (renewal engine + billing store + the payment
// sandbox over HTTP through the Stripe client), for SQLite and PostgreSQL, with the sandbox's
// latency at 0 ms and 50 ms, each followed by an audit of that run (sandbox ledger × database).
//
//   scripts/billing-bench.sh [--subscriptions N] [--stores sqlite,postgres] [--latencies 0,50]
//                            [--concurrency N] [--connections N] [--postgres-url URL] [--output PATH]
//   scripts/billing-bench.sh --event-lag [--event-rate 1000] [--event-seconds 30]
//
// --event-lag measures the event outbox instead: a node renews subscriptions falling due at
// --event-rate per second on PostgreSQL and delivers their events to a receiver in this process;
// printed with the same run without event delivery as the baseline (see EventLagRun).
//
// The sandbox runs in this process, so engine, sandbox and database share the machine's cores:
// the figure is a lower bound for a provider on another machine.
import Foundation

let options: BenchOptions
do {
    options = try BenchOptions.parse(CommandLine.arguments.dropFirst())
} catch {
    FileHandle.standardError.write(Data("error: \(error)\n".utf8))
    exit(2)
}

if options.eventLag {
    var lagResults: [EventLagRun.Result] = []
    for events in [false, true] {
        let result = try await EventLagRun(options: options, deliverEvents: events).run()
        print(result.line)
        lagResults.append(result)
    }
    if let output = options.output {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try encoder.encode(lagResults).write(to: URL(fileURLWithPath: output))
        print("wrote \(output)")
    }
    exit(0)
}

var results: [RunResult] = []
var failed = false
for store in options.stores {
    for latency in options.latenciesMilliseconds {
        do {
            let result = try await RenewalRun(options: options, store: store, latencyMilliseconds: latency).run()
            print(result.line)
            results.append(result)
            if !result.audit.isClean || result.audit.databaseMismatches > 0 || result.audit.unresolvedInDatabase > 0 { failed = true }
        } catch {
            print("\(store) latency \(latency) ms: failed: \(error)")
            failed = true
        }
    }
}
if let output = options.output {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
    try encoder.encode(results).write(to: URL(fileURLWithPath: output))
    print("wrote \(output)")
}
exit(failed ? 1 : 0)
