import Foundation

/// The benchmark's command-line options.
struct BenchOptions {
    var binaryPath: String?
    var handovers = 100
    var failovers = 20
    var idleSeconds = 10.0
    var output = "bench-results/sqlite.json"

    /// Parses `--binary PATH`, `--handovers N`, `--failovers N`, `--idle-seconds S`, `--output PATH`;
    /// a lone argument is the binary.
    init(_ arguments: ArraySlice<String>) {
        var iterator = arguments.makeIterator()
        while let argument = iterator.next() {
            switch argument {
            case "--binary": binaryPath = iterator.next()
            case "--handovers": handovers = iterator.next().flatMap { Int($0) } ?? handovers
            case "--failovers": failovers = iterator.next().flatMap { Int($0) } ?? failovers
            case "--idle-seconds": idleSeconds = iterator.next().flatMap { Double($0) } ?? idleSeconds
            case "--output": output = iterator.next() ?? output
            default: binaryPath = argument
            }
        }
    }

    /// The `leader` binary: `--binary`, else the release build, else the debug build.
    func binary() -> String? {
        let candidates = [binaryPath, ".build/release/leader", ".build/debug/leader"].compactMap { $0 }
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0) }.map {
            URL(fileURLWithPath: $0).standardizedFileURL.path
        }
    }
}
