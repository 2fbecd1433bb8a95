import Foundation

/// A process's wall clock under libfaketime (Debian's `faketime` package): the process starts
/// with the library preloaded, and the library reads the clock's offset from a file that the
/// harness rewrites to step the clock forward or back while the process runs (the library
/// re-reads it every second). The monotonic clock stays real, as on a host whose NTP steps its
/// wall clock: leases and timeouts run on it.
struct FakeClock: Sendable {
    /// The library (the thread-safe build), where Debian installs it; nil when it is missing.
    static let library: String? = ["x86_64-linux-gnu", "aarch64-linux-gnu"].map { "/usr/lib/\($0)/faketime/libfaketimeMT.so.1" }
        .first { FileManager.default.fileExists(atPath: $0) }

    static let missing = "libfaketime is not installed; install Debian's faketime package (scripts/install-test-deps.sh does)"

    /// The file the library reads the offset from.
    let file: String

    /// A clock with no offset yet, whose offset lives in `file`.
    init(file: String) throws {
        self.file = file
        try set(offsetSeconds: 0)
    }

    /// `command` run under this clock: `env` sets the library's variables right before the
    /// program itself, so that no wrapper before it (`ip netns exec`, `setpriv`) loads the library
    /// too (a wrapper running as root would create the library's shared memory, which the program,
    /// running as another user, could not open).
    func wrap(_ command: [String]) -> [String] {
        guard let library = Self.library else { return command }
        let variables = [
            "LD_PRELOAD=\(library)", "FAKETIME_TIMESTAMP_FILE=\(file)", "FAKETIME_CACHE_DURATION=1", "DONT_FAKE_MONOTONIC=1",
        ]
        return ["/usr/bin/env"] + variables + command
    }

    /// Sets the offset from the real clock; the process sees it within about a second.
    func set(offsetSeconds: Int) throws {
        // Written whole and renamed, so that the library never reads half a line.
        try "\(offsetSeconds >= 0 ? "+" : "")\(offsetSeconds)\n".write(toFile: file, atomically: true, encoding: .utf8)
        chmod(file, 0o644)
    }
}
