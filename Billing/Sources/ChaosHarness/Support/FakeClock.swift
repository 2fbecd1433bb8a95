import Foundation

/// A process's wall clock under libfaketime (Debian's `faketime` package): the process starts
/// with the library preloaded, and the library reads the clock's offset from a file that the
/// harness rewrites to step the clock forward or back while the process runs (the library
/// re-reads it every second). The monotonic clock stays real, as on a host whose NTP steps its
/// wall clock: leases and timeouts run on it.
struct FakeClock: Sendable {
    /// The library (the thread-safe build), where Debian installs it; nil when it is missing.
    private static let library: String? = ["x86_64-linux-gnu", "aarch64-linux-gnu"].map { "/usr/lib/\($0)/faketime/libfaketimeMT.so.1" }
        .first { FileManager.default.fileExists(atPath: $0) }

    /// This package's `FaketimeTimerfdShim`, built beside the harness: it keeps libfaketime from
    /// shifting the monotonic timers that `Task.sleep` runs on (see its source), so that a step of
    /// the wall clock does to a process what a real step does, no more.
    private static let shim: String? = Bundle.main.executableURL.map {
        $0.deletingLastPathComponent().appendingPathComponent("libFaketimeTimerfdShim.so").path
    }.flatMap { FileManager.default.fileExists(atPath: $0) ? $0 : nil }

    /// What `LD_PRELOAD` holds for a process under a fake clock: the shim first; nil when either
    /// library is missing.
    static let preload: String? = shim.flatMap { shim in library.map { "\(shim):\($0)" } }

    static let missing =
        library == nil
        ? "libfaketime is not installed; install Debian's faketime package (scripts/install-test-deps.sh does)"
        : "libFaketimeTimerfdShim.so is not beside the harness; build it: swift build --package-path Billing --product FaketimeTimerfdShim (scripts/chaos.sh does)"

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
        guard let preload = Self.preload else { return command }
        let variables = [
            "LD_PRELOAD=\(preload)", "FAKETIME_TIMESTAMP_FILE=\(file)", "FAKETIME_CACHE_DURATION=1", "DONT_FAKE_MONOTONIC=1",
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
