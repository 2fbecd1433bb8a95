import Foundation

/// Finds the `leader` executable that `swift build` put next to the test bundle.
public enum LeaderBinary {
    /// The path, or a failure saying how to build it.
    public static func path() throws -> String {
        var candidates: [String] = []
        if let override = ProcessInfo.processInfo.environment["LEADER_BINARY"] { candidates.append(override) }
        // The test bundle lives in the build products directory (.build/<triple>/debug).
        let bundle = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        var directory = bundle.deletingLastPathComponent()
        for _ in 0..<4 {
            candidates.append(directory.appendingPathComponent("leader").path)
            directory = directory.deletingLastPathComponent()
        }
        candidates.append(Bundle.main.bundleURL.deletingLastPathComponent().appendingPathComponent("leader").path)
        // The package root, from this file: Tests/TestSupport/LeaderBinary.swift.
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        candidates.append(root.appendingPathComponent(".build/debug/leader").path)
        for candidate in candidates where FileManager.default.isExecutableFile(atPath: candidate) {
            return candidate
        }
        throw LeaderBinaryMissing(searched: candidates)
    }
}

/// The `leader` executable was not found.
public struct LeaderBinaryMissing: Error, CustomStringConvertible {
    /// Where it was looked for.
    public var searched: [String]

    public var description: String {
        "the leader executable is not built (looked in: \(searched.joined(separator: ", "))); run 'swift build --product leader' first, or set LEADER_BINARY"
    }
}
