import Logging
import Testing

/// The parent of every suite that starts ZooKeeper servers: they run one after another.
@Suite(
    "ZooKeeper integration",
    .serialized,
    .enabled(if: ZooKeeperEnsemble.available, Comment(rawValue: ZooKeeperEnsemble.missing))
)
struct ZooKeeperIntegrationTests {}

/// A logger that prints only critical messages (set ZK_TEST_LOG=debug for more).
enum TestLogger {
    static func make() -> Logger {
        var logger = Logger(label: "zookeeper-tests")
        logger.logLevel = .critical
        return logger
    }
}
