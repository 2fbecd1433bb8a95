import Foundation

/// A fresh directory under the system's temporary directory, removed by ``remove()``.
struct TemporaryDirectory: Sendable {
    /// Its path.
    let path: String

    /// Creates a new, empty directory.
    init() throws {
        path = NSTemporaryDirectory() + "leader-cli-tests-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    /// `path/name`.
    func file(_ name: String) -> String { path + "/" + name }

    /// The store URL of a SQLite file in the directory.
    var store: String { "sqlite:" + file("election.db") }

    /// Deletes the directory and its contents.
    func remove() {
        try? FileManager.default.removeItem(atPath: path)
    }
}
