import Glibc

/// Starts processes with `posix_spawn`, the signal setup a child should have, and descriptors
/// mapped where it expects them.
///
/// Every signal the child can catch starts with its default action and an empty mask: this
/// process ignores or blocks some (ServiceLifecycle sets `SIGINT`/`SIGTERM` to `SIG_IGN` to
/// handle them itself; `SIGPIPE` is ignored), and ignored signals would otherwise survive `exec`.
/// Descriptors not mapped are inherited if they lack `FD_CLOEXEC`: callers mark the others (see
/// ``FileDescriptor/setCloseOnExecFromThreeUp()``).
struct ProcessSpawner {
    /// glibc's `POSIX_SPAWN_SETSID` (a GNU extension, since glibc 2.26), which Swift's Glibc module
    /// does not export: the child calls `setsid()`, leading a new session and process group.
    private static let setSessionFlag: Int32 = 0x80

    /// How the child's process group is set.
    enum Grouping {
        /// Stays in this process's group.
        case inherit
        /// Leads a new process group (signal it as `-pid`).
        case newGroup
        /// Leads a new session, and so a new process group: not stopped or interrupted with this
        /// process's group or terminal.
        case newSession
    }

    /// The program: a path, or a name looked up in `PATH`.
    var executable: String
    /// The arguments, without the program name (added as `argv[0]`).
    var arguments: [String]
    /// `KEY=VALUE` strings; nil inherits this process's environment.
    var environment: [String]?
    /// The child's process group.
    var grouping: Grouping = .inherit
    /// `(descriptor here, descriptor in the child)` pairs.
    var descriptors: [(source: Int32, target: Int32)] = []

    /// Starts the process and returns its pid.
    /// - Throws: ``SpawnFailure`` with the system's reason.
    func spawn() throws -> pid_t {
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var defaults = sigset_t()
        sigfillset(&defaults)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        var mask = sigset_t()
        sigemptyset(&mask)
        posix_spawnattr_setsigmask(&attributes, &mask)
        var flags = Int32(POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK)
        switch grouping {
        case .inherit:
            break
        case .newGroup:
            flags |= Int32(POSIX_SPAWN_SETPGROUP)
            posix_spawnattr_setpgroup(&attributes, 0)
        case .newSession:
            flags |= Self.setSessionFlag
        }
        posix_spawnattr_setflags(&attributes, Int16(flags))

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        for (source, target) in descriptors {
            // glibc clears FD_CLOEXEC when source == target, as POSIX requires.
            posix_spawn_file_actions_adddup2(&actions, source, target)
        }

        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid: pid_t = 0
        let status: Int32
        if let environment {
            let envp = environment.map { strdup($0) } + [nil]
            defer { envp.forEach { free($0) } }
            status = posix_spawnp(&pid, executable, &actions, &attributes, argv, envp)
        } else {
            status = posix_spawnp(&pid, executable, &actions, &attributes, argv, environ)
        }
        guard status == 0 else { throw SpawnFailure(executable: executable, code: status) }
        return pid
    }

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
    static func currentExecutable() throws -> String {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let count = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        guard count > 0 else {
            throw CLIError("cannot find this program's own executable via /proc/self/exe (\(SystemError.lastMessage())); is /proc mounted?")
        }
        return String(decoding: buffer[..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// The current environment as `KEY=VALUE` strings, with `overrides` replacing or adding keys.
    static func environment(overriding overrides: [(key: String, value: String)]) -> [String] {
        var entries: [String] = []
        var index = 0
        while let entry = environ[index] {
            entries.append(String(cString: entry))
            index += 1
        }
        let keys = Set(overrides.map(\.key))
        entries.removeAll { entry in
            guard let equals = entry.firstIndex(of: "=") else { return false }
            return keys.contains(String(entry[..<equals]))
        }
        return entries + overrides.map { "\($0.key)=\($0.value)" }
    }
}

/// A process could not be started.
struct SpawnFailure: Error {
    /// The program.
    var executable: String
    /// The `errno` value.
    var code: Int32

    /// The failure as the CLI reports it (exit status 127, as shells use for this).
    var cliError: CLIError {
        CLIError("cannot start '\(executable)': \(SystemError.message(code)); check the command's name, that it is on PATH and that it is executable", exitCode: 127)
    }
}

/// How a process ended, from a `waitpid` status.
enum ProcessExit: Equatable, Sendable, CustomStringConvertible {
    /// Exited with a status code.
    case exited(Int32)
    /// Killed by a signal.
    case signaled(Int32)

    /// Decodes a `waitpid` status (the `WIFEXITED`/`WTERMSIG` macros, which Swift does not import).
    init(waitStatus status: Int32) {
        if status & 0x7f == 0 {
            self = .exited((status >> 8) & 0xff)
        } else {
            self = .signaled(status & 0x7f)
        }
    }

    /// The status a shell would report: the exit code, or 128 + the signal number.
    var shellStatus: Int32 {
        switch self {
        case .exited(let code): code
        case .signaled(let signal): 128 + signal
        }
    }

    var description: String {
        switch self {
        case .exited(let code): "status=\(code)"
        case .signaled(let signal): "signal=\(signal)"
        }
    }
}
