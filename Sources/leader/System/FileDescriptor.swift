import Glibc

/// Small, checked wrappers around the descriptor calls the CLI makes.
enum FileDescriptor {
    /// Creates a pipe whose two ends close on exec. Returns `(read, write)`.
    ///
    /// (`pipe2`, which would do it atomically, is a GNU extension Swift's Glibc module does not
    /// export. Only this program's own spawns could inherit the ends in between, and each one maps
    /// the descriptors it passes explicitly.)
    static func makePipe() throws -> (read: Int32, write: Int32) {
        var fds: [Int32] = [-1, -1]
        defer { fds.forEach(setCloseOnExec) }
        guard pipe(&fds) == 0 else {
            throw CLIError(
                "cannot create a pipe: \(SystemError.lastMessage()); the process may have run out of file descriptors (check 'ulimit -n')")
        }
        return (fds[0], fds[1])
    }

    /// Sets or clears `O_NONBLOCK`.
    static func setNonBlocking(_ fd: Int32, _ on: Bool = true) {
        let flags = fcntl(fd, F_GETFL)
        _ = fcntl(fd, F_SETFL, on ? flags | O_NONBLOCK : flags & ~O_NONBLOCK)
    }

    /// Sets `FD_CLOEXEC`, so that processes this one starts do not inherit `fd`.
    static func setCloseOnExec(_ fd: Int32) {
        let flags = fcntl(fd, F_GETFD)
        _ = fcntl(fd, F_SETFD, flags | FD_CLOEXEC)
    }

    /// Writes all of `text`, retrying on `EINTR`. Returns false if the write failed or would block.
    @discardableResult
    static func write(_ fd: Int32, _ text: String) -> Bool {
        let bytes = Array(text.utf8)
        return bytes.withUnsafeBytes { buffer -> Bool in
            guard let base = buffer.baseAddress else { return true }
            var offset = 0
            while offset < buffer.count {
                let written = Glibc.write(fd, base + offset, buffer.count - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    return false
                }
                offset += written
            }
            return true
        }
    }
}

/// Text for `errno` values.
enum SystemError {
    /// The message for the current `errno`.
    static func lastMessage() -> String { message(errno) }

    /// The message for `code`.
    static func message(_ code: Int32) -> String { String(cString: strerror(code)) }
}
