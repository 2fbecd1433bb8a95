import Foundation
import LeaderElection
import LeaderElectionSQLite
import Logging
import SQLiteNIO
import Synchronization
import Testing

/// A fresh directory under the system's temporary directory, removed by ``remove()``.
struct TemporaryDirectory {
    let path: String

    init() throws {
        path =
            FileManager.default.temporaryDirectory
            .appendingPathComponent("sqlite-backend-tests-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    /// A path for a store file in this directory.
    func file(_ name: String = "election.sqlite") -> String { "\(path)/\(name)" }

    func remove() { try? FileManager.default.removeItem(atPath: path) }
}

/// Runs `body` with a fresh temporary directory, removing it afterwards.
func withTemporaryDirectory<T>(_ body: (TemporaryDirectory) async throws -> T) async throws -> T {
    let directory = try TemporaryDirectory()
    defer { directory.remove() }
    return try await body(directory)
}

/// A nanosecond counter standing in for the host's boot-time clock: moves only when told to.
final class FakeTime: Sendable {
    private let nanoseconds: Atomic<Int64>

    init(start: Duration = .seconds(1000)) { nanoseconds = Atomic(Self.nanoseconds(start)) }

    /// The current value, for ``SQLiteBackend/init(configuration:timeSource:logger:)``.
    var source: @Sendable () -> Int64 { { self.nanoseconds.load(ordering: .relaxed) } }

    func advance(by duration: Duration) { nanoseconds.add(Self.nanoseconds(duration), ordering: .relaxed) }

    func set(_ instant: Duration) { nanoseconds.store(Self.nanoseconds(instant), ordering: .relaxed) }

    private static func nanoseconds(_ duration: Duration) -> Int64 {
        duration.components.seconds * 1_000_000_000 + duration.components.attoseconds / 1_000_000_000
    }
}

let testLogger = Logger(label: "sqlite-backend-tests", factory: { _ in SwiftLogNoOpLogHandler() })

/// Opens a backend on `path`, as one process of the host would; `pollInterval` and
/// `busyTimeout` default to ``SQLiteConfiguration``'s.
func openBackend(
    _ path: String,
    time: FakeTime? = nil,
    pollInterval: Duration? = nil,
    busyTimeout: Duration? = nil
) async throws -> SQLiteBackend {
    var configuration = SQLiteConfiguration(path: path)
    if let pollInterval { configuration.pollInterval = pollInterval }
    if let busyTimeout { configuration.busyTimeout = busyTimeout }
    let backend =
        if let time {
            try SQLiteBackend(configuration: configuration, timeSource: time.source, logger: testLogger)
        } else {
            try SQLiteBackend(configuration: configuration, logger: testLogger)
        }
    try await backend.prepare()
    return backend
}

/// Opens `count` backends on `path`, runs `body`, and closes them.
func withBackends<T>(
    _ count: Int,
    on path: String,
    time: FakeTime? = nil,
    pollInterval: Duration? = nil,
    busyTimeout: Duration? = nil,
    _ body: ([SQLiteBackend]) async throws -> T
) async throws -> T {
    var backends: [SQLiteBackend] = []
    for _ in 0..<count { backends.append(try await openBackend(path, time: time, pollInterval: pollInterval, busyTimeout: busyTimeout)) }
    do {
        let result = try await body(backends)
        for backend in backends { try await backend.close() }
        return result
    } catch {
        for backend in backends { try? await backend.close() }
        throw error
    }
}

/// Runs `body` on a plain SQLiteNIO connection to `path`, to look at or tamper with the file.
func withRawConnection<T>(_ path: String, _ body: (SQLiteConnection) async throws -> T) async throws -> T {
    let connection = try await SQLiteConnection.open(storage: .file(path: path), logger: testLogger)
    do {
        let result = try await body(connection)
        try await connection.close()
        return result
    } catch {
        try? await connection.close()
        throw error
    }
}

struct TimedOut: Error, CustomStringConvertible {
    var what: String
    var description: String { "\(what) did not happen in time" }
}

/// Runs `body`, failing with ``TimedOut`` if it has not finished after `limit`: for waiting on an
/// event, never for making time pass.
func within<T: Sendable>(
    _ what: String,
    limit: Duration = .seconds(10),
    _ body: @escaping @Sendable () async throws -> T
) async throws -> T {
    try await withThrowingTaskGroup(of: T?.self) { group in
        group.addTask { try await body() }
        group.addTask {
            try await Task.sleep(for: limit)
            return nil
        }
        defer { group.cancelAll() }
        guard let first = try await group.next(), let value = first else { throw TimedOut(what: what) }
        return value
    }
}

/// The `ElectionError` code of `error`, if it is one.
func code(of error: any Error) -> ElectionError.Code? { (error as? ElectionError)?.code }
