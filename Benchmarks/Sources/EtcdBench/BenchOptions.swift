import BenchmarkSupport
import Foundation

/// Command-line options of `etcd-bench`.
struct BenchOptions: Sendable {
    var handovers = 200
    var failovers = 20
    var failoverTTLs: [Double] = [5, 2]
    var idleSeconds = 15.0
    var crowd = 1000
    var crowdHandovers = 50
    var leaderBinary: String?
    var output = "bench-results/etcd.json"
    var only: Set<String> = []

    static let usage = """
        usage: etcd-bench [--handovers N] [--failovers N] [--failover-ttls 5,2] [--idle-seconds S]
                          [--crowd N] [--crowd-handovers N] [--leader-binary PATH] [--output PATH]
                          [--only handover,failover,idle,crowd]
        Starts its own etcd member (Debian's etcd-server) on free loopback ports.
        """

    init(arguments: [String]) throws {
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
            case "--failovers": failovers = try number(argument)
            case "--failover-ttls": failoverTTLs = try value(argument).split(separator: ",").compactMap { Double($0) }
            case "--idle-seconds": idleSeconds = Double(try number(argument))
            case "--crowd": crowd = try number(argument)
            case "--crowd-handovers": crowdHandovers = try number(argument)
            case "--leader-binary": leaderBinary = try value(argument)
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
