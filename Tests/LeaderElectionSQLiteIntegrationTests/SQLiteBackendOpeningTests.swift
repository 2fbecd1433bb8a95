import Foundation
import LeaderElection
import LeaderElectionSQLite
import SQLiteNIO
import Testing

@Suite("Opening an SQLite store", .serialized, .timeLimit(.minutes(3)))
struct SQLiteBackendOpeningTests {
    /// The error creating a backend for `path` and opening it throws, or nil if it opened.
    private func openingError(_ path: String, pollInterval: Duration? = nil, busyTimeout: Duration? = nil) async -> ElectionError? {
        do {
            let backend = try await openBackend(path, pollInterval: pollInterval, busyTimeout: busyTimeout)
            try? await backend.close()
            return nil
        } catch {
            return error as? ElectionError
        }
    }

    @Test("a path in a directory that does not exist gives storeUnavailable naming the directory")
    func missingDirectory() async throws {
        try await withTemporaryDirectory { directory in
            let path = "\(directory.path)/missing/election.sqlite"
            let error = try #require(await openingError(path))
            #expect(error.code == .storeUnavailable)
            #expect(error.message.contains(path))
            #expect(error.message.contains("\(directory.path)/missing does not exist"))
        }
    }

    @Test("a file that is not an SQLite database gives invalidStoreData")
    func garbageFile() async throws {
        try await withTemporaryDirectory { directory in
            let path = directory.file()
            let garbage = Data((0..<4096).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) })
            try garbage.write(to: URL(fileURLWithPath: path))
            let error = try #require(await openingError(path))
            #expect(error.code == .invalidStoreData)
            #expect(error.message.contains(path))
            #expect(error.message.contains("not an SQLite database"))
        }
    }

    @Test("an SQLite database of another program gives invalidStoreData")
    func foreignDatabase() async throws {
        try await withTemporaryDirectory { directory in
            let path = directory.file()
            try await withRawConnection(path) { connection in
                _ = try await connection.query("CREATE TABLE invoices (id INTEGER PRIMARY KEY)")
            }
            let error = try #require(await openingError(path))
            #expect(error.code == .invalidStoreData)
            #expect(error.message.contains("not an election store"))
        }
    }

    @Test("a store written by a newer schema version is refused")
    func newerSchemaVersion() async throws {
        try await withTemporaryDirectory { directory in
            let path = directory.file()
            try await withBackends(1, on: path) { _ in }
            try await withRawConnection(path) { connection in
                _ = try await connection.query("UPDATE meta SET value = 99 WHERE name = 'schema_version'")
            }
            let error = try #require(await openingError(path))
            #expect(error.code == .invalidStoreData)
            #expect(error.message.contains("99"))
        }
    }

    @Test("a directory given as the path gives storeUnavailable")
    func directoryAsPath() async throws {
        try await withTemporaryDirectory { directory in
            let error = try #require(await openingError(directory.path))
            #expect(error.code == .storeUnavailable)
            #expect(error.message.contains("is a directory"))
        }
    }

    @Test("non-positive durations in the configuration are rejected")
    func invalidConfiguration() async throws {
        try await withTemporaryDirectory { directory in
            let zeroPoll = try #require(await openingError(directory.file(), pollInterval: .zero))
            #expect(zeroPoll.code == .invalidConfiguration)
            let negativeBusy = try #require(await openingError(directory.file(), busyTimeout: .seconds(-1)))
            #expect(negativeBusy.code == .invalidConfiguration)
        }
    }
}
