import Testing

/// The parent of every suite that starts etcd members: they run one after another, so that the
/// machine is not shared by several clusters (and by the timing checks of other targets) at once.
@Suite(
    "etcd integration",
    .serialized,
    .enabled(if: EtcdBinaries.available, Comment(rawValue: EtcdBinaries.missing))
)
struct EtcdIntegrationTests {}
