import Foundation

/// Where `swift build` put the `billing` executable: beside the test bundle, or in .build/debug.
enum BillingBinary {
    static func path() throws -> String {
        var candidates: [String] = []
        if let override = ProcessInfo.processInfo.environment["BILLING_BINARY"] { candidates.append(override) }
        var directory = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
        for _ in 0..<4 {
            candidates.append(directory.appendingPathComponent("billing").path)
            directory = directory.deletingLastPathComponent()
        }
        // This file is Tests/BillingNodeTests/Support/BillingBinary.swift in the package.
        var root = URL(fileURLWithPath: #filePath)
        for _ in 0..<4 { root = root.deletingLastPathComponent() }
        candidates.append(root.appendingPathComponent(".build/debug/billing").path)
        guard let found = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
            throw TestFailure(
                "the billing executable is not built (looked in \(candidates)); run 'swift build --build-tests' or set BILLING_BINARY")
        }
        return found
    }
}

/// A test's own failure with a message.
struct TestFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
