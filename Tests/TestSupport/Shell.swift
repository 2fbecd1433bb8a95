import Foundation

/// Runs short system commands (`ip ...`) to completion, for the tests' network set-up.
package enum Shell {
    /// What a command printed (standard output and error together) and its exit status.
    package struct Result: Sendable {
        package var status: Int32
        package var output: String
    }

    /// Runs `arguments` (the first is looked up in the system directories when it has no `/`).
    /// Synchronous on purpose: clean-up runs in `defer` blocks, which cannot await.
    package static func run(_ arguments: [String]) throws -> Result {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: resolve(arguments[0]))
        process.arguments = Array(arguments.dropFirst())
        process.standardInput = FileHandle.nullDevice
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        // Read before waiting: a command that fills the pipe would otherwise never exit.
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Result(status: process.terminationStatus, output: String(decoding: data, as: UTF8.self))
    }

    /// Runs `arguments` and throws, with what it printed, unless it exits with 0.
    @discardableResult
    package static func check(_ arguments: [String]) throws -> String {
        let result = try run(arguments)
        guard result.status == 0 else {
            throw NetworkPartitionError("'\(arguments.joined(separator: " "))' failed with status \(result.status): \(result.output)")
        }
        return result.output
    }

    /// The path of `command` in the usual system directories, or `command` itself.
    package static func resolve(_ command: String) -> String {
        guard !command.contains("/") else { return command }
        for directory in ["/usr/sbin", "/sbin", "/usr/bin", "/bin"]
        where FileManager.default.isExecutableFile(atPath: "\(directory)/\(command)") {
            return "\(directory)/\(command)"
        }
        return command
    }
}
