import CHostClock
import Foundation
import Glibc

/// Appends ``NodeEvent``s as JSON lines to a file, one `write(2)` per event.
///
/// The file is opened with `O_APPEND`, so a line is never torn by another writer and survives a
/// SIGKILL of the process the moment `write` returns (it sits in the kernel's page cache). A
/// restarted node appends to the same file.
public final class NodeEventLog: Sendable {
    private let descriptor: Int32
    private let nodeID: String

    /// Opens (or creates) the log at `path`.
    /// - Throws: ``BillingNodeError`` when the file cannot be opened for appending.
    public init(path: String, nodeID: String) throws {
        let descriptor = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else {
            throw BillingNodeError(
                code: .invalidConfiguration,
                message:
                    "cannot open the event log \(path) for appending: \(String(cString: strerror(errno))); check the directory exists and is writable"
            )
        }
        self.descriptor = descriptor
        self.nodeID = nodeID
    }

    deinit { close(descriptor) }

    /// The host's real wall clock in milliseconds: neither the node's `--clock-skew` nor a
    /// time-faking library preloaded into it (the fault suite's clock faults) changes it.
    public static func realNowMs() -> Int64 {
        c_host_clock_realtime_ms()
    }

    /// Appends one event; `timeMs` and `node` are filled in here.
    func append(
        _ kind: NodeEvent.Kind, token: Int64? = nil, startMs: Int64? = nil, operation: String? = nil, subscription: String? = nil,
        periodStartMs: Int64? = nil, key: String? = nil, result: String? = nil, detail: String? = nil,
        deadlineMs: Int64? = nil
    ) {
        let event = NodeEvent(
            timeMs: Self.realNowMs(), node: nodeID, kind: kind, token: token, startMs: startMs, operation: operation,
            subscription: subscription, periodStartMs: periodStartMs, key: key, result: result, detail: detail,
            deadlineMs: deadlineMs
        )
        guard var line = try? JSONEncoder().encode(event) else { return }
        line.append(UInt8(ascii: "\n"))
        // A failed write loses one line of a diagnostic record; billing itself must not stop for it.
        _ = line.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
    }

    /// The fencing token of the leadership the current task works under, so that the store and
    /// provider wrappers can log it without the engine passing it down.
    @TaskLocal static var currentToken: Int64?
}
