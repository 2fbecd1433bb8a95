import Synchronization

/// A value behind a mutex, for test bookkeeping shared between tasks (task-group closures can
/// capture it).
public final class Locked<Value: Sendable>: Sendable {
    private let mutex: Mutex<Value>

    public init(_ value: Value) { mutex = Mutex(value) }

    public func withLock<T>(_ body: (inout Value) throws -> T) rethrows -> T {
        try mutex.withLock { try body(&$0) }
    }

    /// A copy of the value now.
    public var value: Value { mutex.withLock { $0 } }
}
