import Glibc

/// No free loopback port could be found.
public struct FreePortError: Error, CustomStringConvertible {
    /// The `errno` value of the failed `socket`, `bind` or `getsockname`.
    public var code: Int32

    public var description: String { "cannot find a free port on 127.0.0.1: \(String(cString: strerror(code)))" }
}
