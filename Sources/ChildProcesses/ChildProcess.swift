import Glibc

/// A child process started with `posix_spawn`, and what a parent does with it afterwards:
/// signal it (or its process group), reap it, wait for it with a timeout.
///
/// Only the pid (and the read ends of any pipes) are kept, so the value is freely shareable;
/// its owner reaps it exactly once, with ``reap()``, ``wait(timeout:)`` or ``waitUntilExit()``.
public struct ChildProcess: Sendable, Hashable {
    /// The process id.
    public let pid: pid_t
    /// The read end of the pipe from the child's standard output, when it was spawned with
    /// ``Options/Output/pipe``. It closes on exec; the caller reads and closes it.
    public let outputPipe: Int32?
    /// The read end of the pipe from the child's standard error, when it was spawned with
    /// ``Options/Output/pipe``. It closes on exec; the caller reads and closes it.
    public let errorPipe: Int32?

    /// Starts `executable` with `arguments` (without the program name, which becomes `argv[0]`).
    /// - Parameter executable: A path; a bare name is looked up in `PATH` only with
    ///   ``Options/searchesPath``.
    /// - Throws: ``SpawnError`` with the system's reason.
    public static func spawn(_ executable: String, _ arguments: [String], options: Options = Options()) throws(SpawnError) -> ChildProcess {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        // The write ends of our pipes: the child has its copies after the spawn, so ours are
        // closed then (an open write end here would hide the end of file from the reader).
        var writeEnds: [Int32] = []
        var readEnds: [Int32?] = [nil, nil]
        func closeAll() { (writeEnds + readEnds.compactMap { $0 }).forEach { _ = close($0) } }

        if case .null = options.input {
            posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        }
        for (index, (destination, target)) in [(options.output, Int32(1)), (options.error, Int32(2))].enumerated() {
            switch destination {
            case .inherit:
                break
            case .discard:
                posix_spawn_file_actions_addopen(&actions, target, "/dev/null", O_WRONLY, 0)
            case .append(let path):
                posix_spawn_file_actions_addopen(&actions, target, path, O_WRONLY | O_CREAT | O_APPEND, 0o644)
            case .sameAsOutput:
                precondition(target == 2, "sameAsOutput is for standard error only")
                posix_spawn_file_actions_adddup2(&actions, 1, 2)
            case .pipe:
                var ends: [Int32] = [-1, -1]
                guard pipe(&ends) == 0 else {
                    let code = errno
                    closeAll()
                    throw SpawnError(executable: executable, code: code)
                }
                // Later children must not inherit either end (`pipe2` with O_CLOEXEC is a GNU
                // extension Swift's Glibc module does not export).
                for end in ends { _ = fcntl(end, F_SETFD, FD_CLOEXEC) }
                readEnds[index] = ends[0]
                writeEnds.append(ends[1])
                posix_spawn_file_actions_adddup2(&actions, ends[1], target)
            }
        }
        for (source, target) in options.descriptors {
            // glibc clears FD_CLOEXEC when source == target, as POSIX requires.
            posix_spawn_file_actions_adddup2(&actions, source, target)
        }
        // Nothing else this process has open reaches the child. SwiftNIO's sockets do not close
        // on exec: a child holding a copy of a connection keeps it open after we close it, so
        // the peer sees no end of file (a client of our server waits for its timeout), and a
        // supervised command would hold this process's etcd connections.
        let targets = options.descriptors.map(\.target).sorted()
        precondition(targets == Array(3..<3 + Int32(targets.count)), "descriptors must be numbered from 3 up without gaps")
        Self.addCloseFrom(&actions, 3 + Int32(targets.count))

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var flags: Int32 = 0
        if options.resetsSignals {
            // Every signal to its default action and none blocked: this process's threads block
            // signals (libdispatch's workers block nearly all) and it may ignore some (SIGPIPE;
            // ServiceLifecycle ignores SIGINT and SIGTERM to handle them itself). A child
            // inherits the spawning thread's mask, and ignored signals survive exec: it would
            // never see the SIGTERM asking it to stop.
            var defaults = sigset_t()
            sigfillset(&defaults)
            posix_spawnattr_setsigdefault(&attributes, &defaults)
            var mask = sigset_t()
            sigemptyset(&mask)
            posix_spawnattr_setsigmask(&attributes, &mask)
            flags |= Int32(POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK)
        }
        switch options.processGroup {
        case .inherit:
            break
        case .newGroup:
            flags |= Int32(POSIX_SPAWN_SETPGROUP)
            posix_spawnattr_setpgroup(&attributes, 0)
        case .newSession:
            flags |= Options.setSessionFlag
        }
        posix_spawnattr_setflags(&attributes, Int16(flags))

        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        let envp = options.environment.entries().map { strdup($0) } + [nil]
        defer { (argv + envp).forEach { free($0) } }
        var pid: pid_t = 0
        let status =
            options.searchesPath
            ? posix_spawnp(&pid, executable, &actions, &attributes, argv, envp)
            : posix_spawn(&pid, executable, &actions, &attributes, argv, envp)
        writeEnds.forEach { _ = close($0) }
        writeEnds = []
        guard status == 0 else {
            closeAll()
            throw SpawnError(executable: executable, code: status)
        }
        return ChildProcess(pid: pid, outputPipe: readEnds[0], errorPipe: readEnds[1])
    }

    /// `posix_spawn_file_actions_addclosefrom_np` (glibc 2.34 and later), looked up at run
    /// time because Swift's Glibc module does not export GNU extensions. On an older C library
    /// the child inherits the descriptors that do not close on exec.
    private static func addCloseFrom(_ actions: inout posix_spawn_file_actions_t, _ lowest: Int32) {
        typealias AddCloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32
        guard let symbol = dlsym(nil, "posix_spawn_file_actions_addclosefrom_np") else { return }
        _ = unsafeBitCast(symbol, to: AddCloseFrom.self)(&actions, lowest)
    }

    /// Sends `signal` to the process.
    public func signal(_ signal: Int32) { _ = kill(pid, signal) }

    /// Sends `signal` to the process group the process leads (spawned with
    /// ``Options/ProcessGroup/newGroup`` or ``Options/ProcessGroup/newSession``), so that it
    /// reaches every process it forked as well.
    public func signalGroup(_ signal: Int32) { _ = kill(-pid, signal) }

    /// Reaps the process if it has ended (`waitpid` with `WNOHANG`).
    /// - Returns: How it ended; nil while it runs.
    /// - Throws: ``NotAChild`` when it is no child of this process (any more): another waiter
    ///   reaped it, so it has ended but how is lost.
    public func reap() throws(NotAChild) -> ProcessExit? {
        var status: Int32 = 0
        let result = waitpid(pid, &status, WNOHANG)
        if result == pid { return ProcessExit(waitStatus: status) }
        if result < 0, errno == ECHILD { throw NotAChild(pid: pid) }
        return nil
    }

    /// Polls ``reap()`` until the process ends or `timeout` passes (polling keeps the calling
    /// task free of a blocked thread).
    /// - Returns: How it ended; nil if it still runs after `timeout`.
    public func wait(timeout: Duration) async throws(NotAChild) -> ProcessExit? {
        let clock = ContinuousClock()
        let end = clock.now + timeout
        repeat {
            if let exit = try reap() { return exit }
            try? await Task.sleep(for: .milliseconds(10))
        } while clock.now < end
        return try reap()
    }

    /// Blocks the calling thread until the process ends, and reaps it.
    public func waitUntilExit() throws(NotAChild) -> ProcessExit {
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 {
            if errno == ECHILD { throw NotAChild(pid: pid) }
            guard errno == EINTR else { break }
        }
        return ProcessExit(waitStatus: status)
    }

    /// How the process ended, if it has, without reaping it (`waitid` with `WNOWAIT`): it stays
    /// a zombie, so its pid (and process group id) cannot be reused until it is reaped.
    public func exitWithoutReaping() -> ProcessExit? {
        var info = siginfo_t()
        guard waitid(P_PID, id_t(pid), &info, WEXITED | WNOHANG | WNOWAIT) == 0, info._sifields._sigchld.si_pid == pid else {
            return nil
        }
        let status = info._sifields._sigchld.si_status
        return info.si_code == CLD_EXITED ? .exited(status) : .signaled(status)
    }
}
