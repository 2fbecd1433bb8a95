import Logging
import TestSupport

/// A log handler that keeps the messages at or above `debug` (and passes them on to
/// ``TestLogger`` when that prints), so that a test can check that the code under test did
/// something it only logs (logging in again, for example).
struct RecordingLogHandler: LogHandler {
    let messages: Locked<[String]>
    private var next: Logger
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .debug

    /// A logger whose messages end up in `messages`.
    static func logger(_ messages: Locked<[String]>) -> Logger {
        Logger(label: "etcd-test") { _ in RecordingLogHandler(messages: messages, next: TestLogger.make()) }
    }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        messages.withLock { $0.append(event.message.description) }
        next.log(
            level: event.level, event.message, metadata: event.metadata, source: event.source, file: event.file, function: event.function,
            line: event.line)
    }
}
