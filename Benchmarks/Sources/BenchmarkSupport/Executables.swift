import Foundation

/// Finds an executable in `$PATH` and the usual system directories.
public func findExecutable(_ name: String) -> String? {
    let path = (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":").map(String.init)
    return (path + ["/usr/bin", "/usr/local/bin", "/usr/sbin"]).map { "\($0)/\(name)" }
        .first { FileManager.default.isExecutableFile(atPath: $0) }
}
