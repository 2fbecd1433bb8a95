import Foundation

/// The command line of billing-bench.
struct BenchOptions: Sendable {
    /// Which database a run uses.
    enum Store: String, Sendable, CustomStringConvertible {
        case sqlite, postgres
        var description: String { rawValue }
    }

    var subscriptions = 20_000
    var stores: [Store] = [.sqlite, .postgres]
    var latenciesMilliseconds: [Int] = [0, 50]
    var concurrency = 128
    /// The PostgreSQL pool's size (at most `concurrency`). 16, PostgresBillingStore's default:
    /// 64 server processes on a 2-core machine cost about 7% more CPU per renewal than 16
    /// (context switches), without more throughput; a renewal holds a connection only for its
    /// two statements, never across the provider call.
    var connections = 16
    var postgresURL = ProcessInfo.processInfo.environment["BILLING_TEST_POSTGRES_URL"]
    var output: String?
    /// With --event-lag: renewals due per second, and for how many seconds (the outbox's delivery lag at that rate).
    var eventLag = false
    var eventRate = 1000
    var eventSeconds = 30

    struct UsageError: Error, CustomStringConvertible {
        var description: String
    }

    static func parse(_ arguments: ArraySlice<String>) throws -> BenchOptions {
        var options = BenchOptions()
        var rest = arguments
        func value(_ flag: String) throws -> String {
            guard let next = rest.popFirst() else { throw UsageError(description: "\(flag) needs a value") }
            return next
        }
        func number(_ flag: String) throws -> Int {
            let text = try value(flag)
            guard let number = Int(text), number > 0 else {
                throw UsageError(description: "\(flag) needs a positive whole number, not '\(text)'")
            }
            return number
        }
        while let flag = rest.popFirst() {
            switch flag {
            case "--subscriptions": options.subscriptions = try number(flag)
            case "--concurrency": options.concurrency = try number(flag)
            case "--connections": options.connections = try number(flag)
            case "--postgres-url": options.postgresURL = try value(flag)
            case "--output": options.output = try value(flag)
            case "--event-lag": options.eventLag = true
            case "--event-rate": options.eventRate = try number(flag)
            case "--event-seconds": options.eventSeconds = try number(flag)
            case "--stores":
                options.stores = try value(flag).split(separator: ",").map {
                    guard let store = Store(rawValue: String($0)) else {
                        throw UsageError(description: "--stores takes sqlite and/or postgres, not '\($0)'")
                    }
                    return store
                }
            case "--latencies":
                options.latenciesMilliseconds = try value(flag).split(separator: ",").map {
                    guard let latency = Int($0), latency >= 0 else {
                        throw UsageError(description: "--latencies takes milliseconds like 0,50, not '\($0)'")
                    }
                    return latency
                }
            default:
                throw UsageError(
                    description: "unknown argument '\(flag)'; see the comment at the top of Benchmarks/BillingBench/main.swift")
            }
        }
        if options.stores.contains(.postgres) || options.eventLag, options.postgresURL == nil {
            throw UsageError(
                description: "a PostgreSQL run needs --postgres-url or BILLING_TEST_POSTGRES_URL (scripts/billing-bench.sh starts a server)"
            )
        }
        return options
    }
}
