import LeaderElection
import SQLiteNIO

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// Turns SQLite failures into `ElectionError`s that say which file failed and what to do.
enum StoreErrors {
    /// Maps any error thrown while `during` (for example "opening") the store at `path`.
    /// `ElectionError` and `CancellationError` pass through unchanged.
    static func map(_ error: any Error, path: String, during activity: String) -> any Error {
        switch error {
        case is ElectionError, is CancellationError:
            return error
        case let error as SQLiteError:
            return map(error, path: path, during: activity)
        case let error as SQLiteTransactionError:
            return map(error, path: path)
        default:
            return ElectionError.storeUnavailable("could not reach the election store \(path) while \(activity) it; retry", cause: error)
        }
    }

    private static func map(_ error: SQLiteTransactionError, path: String) -> ElectionError {
        switch error.reason {
        case .stayedLocked(let timeout):
            return .storeUnavailable(
                "the election store \(path) stayed locked by another process for more than \(timeout); retry, and look for a stuck or stopped process using the file",
                cause: error.cause
            )
        case .closed:
            return .storeUnavailable(
                "the election store \(path) was closed (its SQLiteBackend was shut down); create a new SQLiteBackend to use it again")
        case .notWAL(let mode):
            return .storeUnavailable(
                "the election store \(path) could not be switched to WAL mode (it stays in '\(mode)' mode); put it on a local filesystem that supports shared memory"
            )
        }
    }

    private static func map(_ error: SQLiteError, path: String, during activity: String) -> ElectionError {
        switch error.reason {
        case .notADatabase:
            return ElectionError(
                code: .invalidStoreData,
                message:
                    "\(path) is not an SQLite database (it is another kind of file, or damaged beyond reading); move it aside or pass the path of a new file",
                cause: error
            )
        case .corrupt, .corruptIndex, .corruptSequenceSchema, .corruptVirtualTable:
            return ElectionError(
                code: .invalidStoreData,
                message:
                    "the election store \(path) is damaged; stop every process using it, move it and its -wal and -shm files aside, and start again with a new file",
                cause: error
            )
        case .cantOpen, .cantOpenDirectory, .cantOpenInvalidPath, .cantOpenCygwinPath, .cantOpenUnfollowedSymlink:
            return .storeUnavailable("cannot open or create the election store \(path): \(diagnoseUnopenable(path))", cause: error)
        case .readOnly, .readonlyCantLock, .readonlyDirectory, .readonlyInRecovery, .readonlyInRollback, .readonlyBackingMoved, .permission,
            .auth:
            return .storeUnavailable(
                "cannot write to the election store \(path); check that this user may write the file, its -wal and -shm files and their directory",
                cause: error
            )
        case .full:
            return .storeUnavailable("the disk holding the election store \(path) is full; free space and retry", cause: error)
        case .busy, .busyInRecovery, .busyInSnapshot, .busyTimeout:
            return .storeUnavailable("the election store \(path) is locked by another process; retry", cause: error)
        default:
            return .storeUnavailable(
                "SQLite failed while \(activity) the election store \(path); retry, and check the disk if it persists", cause: error)
        }
    }

    /// Says why SQLite could not open `path`, as far as the file system tells.
    private static func diagnoseUnopenable(_ path: String) -> String {
        let directory =
            path.lastIndex(of: "/").map { index in
                index == path.startIndex ? "/" : String(path[..<index])
            } ?? "."
        if !isDirectory(directory) {
            return "the directory \(directory) does not exist; create it (mkdir -p '\(directory)') "
                + "or choose a path in an existing directory"
        }
        if isDirectory(path) {
            return "it is a directory; pass the path of a file"
        }
        return "check that this user may read and write the file and write its directory \(directory)"
    }

    private static func isDirectory(_ path: String) -> Bool {
        var info = stat()
        guard stat(path, &info) == 0 else { return false }
        return (info.st_mode & S_IFMT) == S_IFDIR
    }
}
