import Foundation

/// Runs short helper commands (`ip`, `initdb`, `psql`) to completion.
enum Shell {
    /// Runs `arguments` (the first is looked up in PATH) and returns its exit status and its
    /// standard output and error, merged.
    @discardableResult
    static func run(_ arguments: [String], environment: [String: String]? = nil) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        if let environment { process.environment = environment }
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        process.standardInput = FileHandle.nullDevice
        do {
            try process.run()
        } catch {
            throw HarnessError("cannot run \(arguments.joined(separator: " ")): \(error)")
        }
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    /// Runs `arguments` and throws, with its output, unless it exits 0.
    @discardableResult
    static func check(_ arguments: [String], environment: [String: String]? = nil) throws -> String {
        let (status, output) = try run(arguments, environment: environment)
        guard status == 0 else {
            throw HarnessError(
                "\(arguments.joined(separator: " ")) failed with status \(status): \(output.trimmingCharacters(in: .whitespacesAndNewlines))"
            )
        }
        return output
    }
}
