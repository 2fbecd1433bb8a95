import TestSupport

extension PartitionableNetwork.Naming {
    /// The etcd tests' subnets (`10.218.N.0/24`) and names (`et…`), apart from ZooKeeper's so that
    /// both can run in one test process.
    static let etcd = Self(addressPrefix: "10.218", linkPrefix: "et")
}
