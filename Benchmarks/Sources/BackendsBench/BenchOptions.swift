import BenchmarkSupport
import Foundation

/// Command-line options of `backends-bench`.
struct BenchOptions: Sendable {
    var handovers = 200
    var kazooHandovers = 200
    var failovers = 20
    var failoverTTL = 2.0
    var leaderBinary: String?
    var postgresURL: String?
    var output = "bench-results/backends.json"
    var only: Set<String> = []

    static let usage = """
        usage: backends-bench [--handovers N] [--kazoo-handovers N] [--failovers N] [--failover-ttl S]
                              [--leader-binary PATH] [--postgres URL] [--output PATH]
                              [--only postgres,zookeeper,kazoo,failover]
        Starts its own ZooKeeper server (java and Debian's zookeeper jars) on free loopback ports;
        PostgreSQL comes from --postgres or BILLING_TEST_POSTGRES_URL (scripts/backends-bench.sh
        starts a throwaway one).
        """

    init(arguments: [String]) throws {
        postgresURL = ProcessInfo.processInfo.environment["BILLING_TEST_POSTGRES_URL"]
        var iterator = arguments.makeIterator()
        func value(_ name: String) throws -> String {
            guard let value = iterator.next() else { throw BenchError("\(name) needs a value\n\(Self.usage)") }
            return value
        }
        func number(_ name: String) throws -> Int {
            guard let number = Int(try value(name)), number > 0 else { throw BenchError("\(name) needs a positive number\n\(Self.usage)") }
            return number
        }
        while let argument = iterator.next() {
            switch argument {
            case "--handovers": handovers = try number(argument)
            case "--kazoo-handovers": kazooHandovers = try number(argument)
            case "--failovers": failovers = try number(argument)
            case "--failover-ttl":
                guard let ttl = Double(try value(argument)), ttl > 0 else {
                    throw BenchError("--failover-ttl needs seconds\n\(Self.usage)")
                }
                failoverTTL = ttl
            case "--leader-binary": leaderBinary = try value(argument)
            case "--postgres": postgresURL = try value(argument)
            case "--output": output = try value(argument)
            case "--only": only = Set(try value(argument).split(separator: ",").map(String.init))
            case "--help", "-h":
                print(Self.usage)
                exit(0)
            default: throw BenchError("unknown argument \(argument)\n\(Self.usage)")
            }
        }
    }

    /// Whether the scenario `name` runs.
    func runs(_ name: String) -> Bool { only.isEmpty || only.contains(name) }
}
