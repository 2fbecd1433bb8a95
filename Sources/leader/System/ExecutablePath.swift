import ChildProcesses
import Glibc

/// Where programs are: a command's path on `PATH`, and this program's own.
enum ExecutablePath {
    /// The path `name` would run as: itself if it contains a slash, else the first executable
    /// match on `PATH`. Nil when there is none.
    static func resolve(_ name: String) -> String? {
        if name.contains("/") { return access(name, X_OK) == 0 ? name : nil }
        let path = getenv("PATH").map { String(cString: $0) } ?? "/usr/local/bin:/usr/bin:/bin"
        for directory in path.split(separator: ":", omittingEmptySubsequences: false) {
            let candidate = (directory.isEmpty ? "." : String(directory)) + "/" + name
            var status = stat()
            if stat(candidate, &status) == 0, status.st_mode & S_IFMT == S_IFREG, access(candidate, X_OK) == 0 {
                return candidate
            }
        }
        return nil
    }

    /// The path of the running executable (`/proc/self/exe`).
    static func current() throws -> String {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let count = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        guard count > 0 else {
            throw CLIError("cannot find this program's own executable via /proc/self/exe (\(SystemError.lastMessage())); is /proc mounted?")
        }
        return String(decoding: buffer[..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}

extension SpawnError {
    /// The failure as the CLI reports it (exit status 127, as shells use for this).
    var cliError: CLIError {
        CLIError(
            "cannot start '\(executable)': \(SystemError.message(code)); check the command's name, that it is on PATH and that it is executable",
            exitCode: 127)
    }
}
