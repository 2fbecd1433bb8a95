/// A process is no child of this one (any more): it was reaped elsewhere, so it has ended and
/// how is lost (`waitpid` failed with `ECHILD`).
public struct NotAChild: Error, CustomStringConvertible {
    /// The process id.
    public var pid: Int32

    public var description: String { "process \(pid) is no child of this process" }
}
