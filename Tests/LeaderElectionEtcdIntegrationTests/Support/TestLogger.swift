import Foundation
import Logging

/// Loggers for the tests: silent unless `ETCD_TEST_LOG` names a level (`debug`, `info`, ...).
enum TestLogger {
    static func make(_ label: String = "etcd-test") -> Logger {
        guard let level = ProcessInfo.processInfo.environment["ETCD_TEST_LOG"].flatMap(Logger.Level.init(rawValue:)) else {
            return Logger(label: label, factory: { _ in SwiftLogNoOpLogHandler() })
        }
        var logger = Logger(label: label, factory: { StreamLogHandler.standardError(label: $0) })
        logger.logLevel = level
        return logger
    }
}
